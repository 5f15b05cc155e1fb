import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import type { InstanceState } from './model.js';

/** The slice of a node-redis client this store uses (its full generic type varies with the options). */
interface RedisClient {
  sendCommand<T>(args: string[]): Promise<T>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  quit(): Promise<unknown>;
}

/** One lease as Redis holds it. Times are epoch milliseconds. */
export interface LeaseRecord {
  id: string;
  server: string;
  ttlMs: number;
  expiresAt: number;
  state: InstanceState;
  criticalSince: number | undefined;
  /** SHA-256 of the instance token, hex. */
  tokenHash: string;
  statusNote: string | null;
  stateChangedAt: number;
}

export type BeatOutcome =
  | { kind: 'missing' }
  | { kind: 'refused' }
  | {
      kind: 'renewed';
      previous: InstanceState;
      server: string;
      ttlMs: number;
      expiresAt: number;
      stateChangedAt: number;
      statusNote: string | null;
    };

export interface ExpiredLease {
  id: string;
  server: string;
  stateChangedAt: number;
}

/**
 * Layout under the key prefix P: `lease:<id>` hash (s server, t ttl ms, e expiry, st state, cs critical since,
 * h token hash, n note, ch state changed at); `leases:exp` sorted set of passing ids by expiry; `leases:crit` sorted
 * set of critical ids by the time they went critical; `leases:loaded` marks that Redis holds the full lease set;
 * `leases:changed` is the pub/sub channel that tells replicas to reread the instance directory.
 * Scripts derive their keys from P (ARGV[1]), which ties the leases to one Redis (or primary), not Cluster.
 * State changes take `ch = max(now, previous ch + 1)`, so the database, which only accepts a transition newer than
 * the one it holds, ends in Redis's order even when two replicas' writes arrive the other way round.
 */
const PRELUDE = `
local P = ARGV[1]
local function fmt(n) return string.format('%.0f', n) end
`;

// ARGV[2..]: id, server, ttl, expiresAt, state, criticalSince, tokenHash, note, stateChangedAt, onlyIfAbsent → 1 | 0
const PUT = `${PRELUDE}
local id = ARGV[2]
local k = P .. 'lease:' .. id
if ARGV[11] == '1' and redis.call('EXISTS', k) == 1 then return 0 end
redis.call('HSET', k, 's', ARGV[3], 't', ARGV[4], 'e', ARGV[5], 'st', ARGV[6], 'cs', ARGV[7], 'h', ARGV[8], 'n', ARGV[9], 'ch', ARGV[10])
if ARGV[6] == 'passing' then
  redis.call('ZADD', P .. 'leases:exp', ARGV[5], id)
  redis.call('ZREM', P .. 'leases:crit', id)
else
  redis.call('ZADD', P .. 'leases:crit', ARGV[7], id)
  redis.call('ZREM', P .. 'leases:exp', id)
end
return 1`;

// ARGV[2..]: id, tokenHash, now → false (missing) | 0 (wrong token) | {previous state, expiresAt, ch, note, server, ttl}
// The token check compares SHA-256 digests: equality of digests leaks nothing usable about the token.
const BEAT = `${PRELUDE}
local id, now = ARGV[2], tonumber(ARGV[4])
local k = P .. 'lease:' .. id
local f = redis.call('HMGET', k, 'h', 'st', 't', 'ch', 'n', 's')
if not f[1] then return false end
if f[1] ~= ARGV[3] then return 0 end
local ttl = tonumber(f[3])
local e = now + ttl
local ch = tonumber(f[4])
if f[2] == 'critical' then
  ch = math.max(now, ch + 1)
  redis.call('HSET', k, 'st', 'passing', 'cs', '', 'ch', fmt(ch))
  redis.call('ZREM', P .. 'leases:crit', id)
end
redis.call('HSET', k, 'e', fmt(e))
redis.call('ZADD', P .. 'leases:exp', fmt(e), id)
return {f[2], fmt(e), fmt(ch), f[5] or '', f[6] or '', fmt(ttl)}`;

// ARGV[2..]: now, limit → flat list of id, server, ch for every passing lease that lapsed (now critical)
const EXPIRE = `${PRELUDE}
local now = tonumber(ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', P .. 'leases:exp', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local k = P .. 'lease:' .. id
  local f = redis.call('HMGET', k, 'st', 'e', 'ch', 's')
  redis.call('ZREM', P .. 'leases:exp', id)
  if f[1] == 'passing' and tonumber(f[2]) <= now then
    local ch = math.max(now, tonumber(f[3]) + 1)
    redis.call('HSET', k, 'st', 'critical', 'cs', ARGV[2], 'ch', fmt(ch))
    redis.call('ZADD', P .. 'leases:crit', ARGV[2], id)
    table.insert(out, id)
    table.insert(out, f[4] or '')
    table.insert(out, fmt(ch))
  end
end
return out`;

// ARGV[2..]: id, criticalBefore → 1 when the lease was critical since before `criticalBefore` and is now gone
const DROP_CRITICAL = `${PRELUDE}
local id = ARGV[2]
local k = P .. 'lease:' .. id
local f = redis.call('HMGET', k, 'st', 'cs')
if f[1] ~= 'critical' or tonumber(f[2]) > tonumber(ARGV[3]) then return 0 end
redis.call('DEL', k)
redis.call('ZREM', P .. 'leases:crit', id)
return 1`;

// ARGV[2]: id
const REMOVE = `${PRELUDE}
redis.call('DEL', P .. 'lease:' .. ARGV[2])
redis.call('ZREM', P .. 'leases:exp', ARGV[2])
redis.call('ZREM', P .. 'leases:crit', ARGV[2])
return 1`;

// ARGV[2]: now → passing leases extended to at least one TTL from now (grace for a new reaper)
const GRACE = `${PRELUDE}
local now = tonumber(ARGV[2])
local ids = redis.call('ZRANGE', P .. 'leases:exp', 0, -1)
local n = 0
for _, id in ipairs(ids) do
  local k = P .. 'lease:' .. id
  local f = redis.call('HMGET', k, 't', 'e')
  if f[1] then
    local e = now + tonumber(f[1])
    if tonumber(f[2]) < e then
      redis.call('HSET', k, 'e', fmt(e))
      redis.call('ZADD', P .. 'leases:exp', fmt(e), id)
      n = n + 1
    end
  else
    redis.call('ZREM', P .. 'leases:exp', id)
  end
end
return n`;

// → {passing, critical, loaded}
const COUNTS = `${PRELUDE}
return {redis.call('ZCARD', P .. 'leases:exp'), redis.call('ZCARD', P .. 'leases:crit'), redis.call('EXISTS', P .. 'leases:loaded')}`;

// ARGV[2..]: ids → flat list of state, expiresAt ('' for unknown ids)
const READ = `${PRELUDE}
local out = {}
for i = 2, #ARGV do
  local f = redis.call('HMGET', P .. 'lease:' .. ARGV[i], 'st', 'e')
  table.insert(out, f[1] or '')
  table.insert(out, f[2] or '')
end
return out`;

class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

const SCRIPTS = {
  put: new Script(PUT),
  beat: new Script(BEAT),
  expire: new Script(EXPIRE),
  dropCritical: new Script(DROP_CRITICAL),
  remove: new Script(REMOVE),
  grace: new Script(GRACE),
  counts: new Script(COUNTS),
  read: new Script(READ),
};

export interface RedisLeasesOptions {
  url: string;
  /** Prefix of every key, so tests and deployments can share a Redis (the same prefix as the context store). */
  keyPrefix?: string | undefined;
}

/**
 * Instance leases in Redis, so that every replica sees a heartbeat received by any of them at once, without a
 * database write per heartbeat. Each operation is one Lua script: one round trip, atomic against the reaper.
 */
export class RedisLeases {
  private readonly prefix: string;
  private readonly listeners: (() => void)[] = [];

  private constructor(
    private readonly client: RedisClient,
    private readonly subscriber: RedisClient,
    prefix: string,
  ) {
    this.prefix = prefix;
  }

  static async connect(options: RedisLeasesOptions): Promise<RedisLeases> {
    const client = createClient({ url: options.url, RESP: 2 });
    client.on('error', () => {
      // Reconnects on its own; heartbeats issued meanwhile fail (503) and the instances retry with backoff.
    });
    await client.connect();
    const subscriber = client.duplicate();
    subscriber.on('error', () => {});
    await subscriber.connect();
    const leases = new RedisLeases(client as RedisClient, subscriber as RedisClient, options.keyPrefix ?? 'wharf:');
    await subscriber.subscribe(`${leases.prefix}leases:changed`, () => {
      for (const listener of leases.listeners) listener();
    });
    return leases;
  }

  /** Called when any replica (this one included) announced a change of the instance set or of a state. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async announceChange(): Promise<void> {
    await this.client.sendCommand(['PUBLISH', `${this.prefix}leases:changed`, '1']);
  }

  async put(lease: LeaseRecord, onlyIfAbsent = false): Promise<boolean> {
    const result = await this.run<number>(SCRIPTS.put, [
      lease.id,
      lease.server,
      String(lease.ttlMs),
      String(lease.expiresAt),
      lease.state,
      lease.criticalSince === undefined ? '' : String(lease.criticalSince),
      lease.tokenHash,
      lease.statusNote ?? '',
      String(lease.stateChangedAt),
      onlyIfAbsent ? '1' : '0',
    ]);
    return result === 1;
  }

  async beat(id: string, tokenHash: string, now: number): Promise<BeatOutcome> {
    const result = await this.run<null | number | string[]>(SCRIPTS.beat, [id, tokenHash, String(now)]);
    if (result === null) return { kind: 'missing' };
    if (!Array.isArray(result)) return { kind: 'refused' };
    const [previous, expiresAt, changedAt, note, server, ttl] = result;
    return {
      kind: 'renewed',
      previous: previous as InstanceState,
      server: server ?? '',
      ttlMs: Number(ttl),
      expiresAt: Number(expiresAt),
      stateChangedAt: Number(changedAt),
      statusNote: note === undefined || note === '' ? null : note,
    };
  }

  async setNote(id: string, note: string): Promise<void> {
    await this.client.sendCommand(['HSET', this.key(id), 'n', note]);
  }

  /** Marks lapsed passing leases critical, at most `limit` per call; answers those that changed. */
  async expire(now: number, limit: number): Promise<ExpiredLease[]> {
    const flat = await this.run<string[]>(SCRIPTS.expire, [String(now), String(limit)]);
    const out: ExpiredLease[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      out.push({ id: flat[i] ?? '', server: flat[i + 1] ?? '', stateChangedAt: Number(flat[i + 2]) });
    }
    return out;
  }

  /** Ids critical since before `before`. */
  async criticalBefore(before: number, limit: number): Promise<string[]> {
    return this.client.sendCommand<string[]>([
      'ZRANGEBYSCORE',
      `${this.prefix}leases:crit`,
      '-inf',
      String(before),
      'LIMIT',
      '0',
      String(limit),
    ]);
  }

  /** Drops a lease only if it is still critical since before `before` (a heartbeat in between wins). */
  async dropCritical(id: string, before: number): Promise<boolean> {
    return (await this.run<number>(SCRIPTS.dropCritical, [id, String(before)])) === 1;
  }

  async remove(id: string): Promise<void> {
    await this.run(SCRIPTS.remove, [id]);
  }

  /** Gives every passing lease at least one TTL from now; answers how many were extended. */
  async grace(now: number): Promise<number> {
    return this.run<number>(SCRIPTS.grace, [String(now)]);
  }

  async counts(): Promise<{ passing: number; critical: number; loaded: boolean }> {
    const [passing, critical, loaded] = await this.run<number[]>(SCRIPTS.counts, []);
    return { passing: passing ?? 0, critical: critical ?? 0, loaded: loaded === 1 };
  }

  async markLoaded(): Promise<void> {
    await this.client.sendCommand(['SET', `${this.prefix}leases:loaded`, '1']);
  }

  /** State and expiry of the given leases (undefined for ids Redis does not hold). */
  async read(ids: readonly string[]): Promise<Map<string, { state: InstanceState; expiresAt: number }>> {
    const out = new Map<string, { state: InstanceState; expiresAt: number }>();
    if (ids.length === 0) return out;
    const flat = await this.run<string[]>(SCRIPTS.read, [...ids]);
    ids.forEach((id, i) => {
      const state = flat[2 * i];
      if (state) out.set(id, { state: state as InstanceState, expiresAt: Number(flat[2 * i + 1]) });
    });
    return out;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.subscriber.quit(), this.client.quit()]);
  }

  private key(id: string): string {
    return `${this.prefix}lease:${id}`;
  }

  private async run<T>(script: Script, args: string[]): Promise<T> {
    const argv = [this.prefix, ...args];
    try {
      return await this.client.sendCommand<T>(['EVALSHA', script.sha, '0', ...argv]);
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return this.client.sendCommand<T>(['EVAL', script.source, '0', ...argv]);
    }
  }
}
