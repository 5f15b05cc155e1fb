import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import type {
  ContextEvent,
  ContextPage,
  ContextRecord,
  ContextStore,
  CreateOutcome,
  DeleteOutcome,
  ListQuery,
  VersionCondition,
  WriteOutcome,
} from './model.js';
import { ownerOf } from './model-json.js';

/** The slice of a node-redis client this store uses (its full generic type varies with the options). */
interface RedisClient {
  sendCommand<T>(args: string[]): Promise<T>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  quit(): Promise<unknown>;
}

export interface RedisContextStoreOptions {
  url: string;
  /** Prefix of every key, so tests and deployments can share a Redis. */
  keyPrefix?: string;
  /** Approximate number of events kept per namespace stream. */
  maxEventsPerNamespace?: number;
  /** A namespace's event stream is dropped after this long without writes. */
  eventRetentionMs?: number;
}

/**
 * Shared Lua: every script gets the key prefix, the stream length and the stream retention as ARGV[1..3].
 * Keys are derived inside the scripts, which ties the store to a single Redis (or primary), not Cluster.
 *
 * Layout: `ctx:<id>` hash (ns, data, meta, owner, v, c, u, e) with a native PEXPIREAT; `ctx-exp` sorted set
 * (score = expiry ms) and `ctx-expinfo` hash (id → "ns\nversion\nowner") so the reaper can still announce a
 * context Redis already evicted; `ctx-ns:<ns>` sorted set of ids for listing; `ctx-events:<ns>` stream of
 * events; `ctx-changed` pub/sub channel that wakes watchers on every replica.
 */
const PRELUDE = `
local P = ARGV[1]
local MAXLEN = ARGV[2]
local RETENTION = ARGV[3]
local function emit(ns, ev)
  local stream = P .. 'ctx-events:' .. ns
  redis.call('XADD', stream, 'MAXLEN', '~', MAXLEN, '*', 'e', ev)
  redis.call('PEXPIRE', stream, RETENTION)
  redis.call('PUBLISH', P .. 'ctx-changed', ns)
end
local function expiredJson(id, ns, v, owner, now)
  local o = cjson.null
  if owner and owner ~= '' then o = owner end
  return cjson.encode({type = 'expired', contextId = id, namespace = ns, version = tonumber(v), at = tonumber(now), owner = o})
end
local function drop(id, ns)
  redis.call('DEL', P .. 'ctx:' .. id)
  redis.call('ZREM', P .. 'ctx-exp', id)
  redis.call('HDEL', P .. 'ctx-expinfo', id)
  redis.call('ZREM', P .. 'ctx-ns:' .. ns, id)
end
-- Frees an id held by an expired context (announcing the expiry); false when a live context holds it.
local function expireStale(id, now)
  local f = redis.call('HMGET', P .. 'ctx:' .. id, 'ns', 'v', 'owner', 'e')
  if f[1] then
    if f[4] == '' or tonumber(f[4]) > tonumber(now) then return false end
    drop(id, f[1])
    emit(f[1], expiredJson(id, f[1], f[2], f[3], now))
    return true
  end
  local info = redis.call('HGET', P .. 'ctx-expinfo', id)
  if info then
    local ns, v, owner = string.match(info, '^([^\\n]*)\\n([^\\n]*)\\n(.*)$')
    drop(id, ns)
    emit(ns, expiredJson(id, ns, v, owner, now))
  end
  return true
end
local function write(id, ns, data, meta, owner, v, c, u, e)
  local doc = P .. 'ctx:' .. id
  redis.call('HSET', doc, 'ns', ns, 'data', data, 'meta', meta, 'owner', owner, 'v', v, 'c', c, 'u', u, 'e', e)
  if e == '' then
    redis.call('PERSIST', doc)
    redis.call('ZREM', P .. 'ctx-exp', id)
    redis.call('HDEL', P .. 'ctx-expinfo', id)
  else
    redis.call('PEXPIREAT', doc, e)
    redis.call('ZADD', P .. 'ctx-exp', e, id)
    redis.call('HSET', P .. 'ctx-expinfo', id, ns .. '\\n' .. v .. '\\n' .. owner)
  end
  redis.call('ZADD', P .. 'ctx-ns:' .. ns, 0, id)
end
`;

// ARGV[4..]: id, ns, data, meta, owner, c, u, e, now, event → 1 created, 0 a live context has the id.
const CREATE = `${PRELUDE}
local id, now = ARGV[4], ARGV[12]
if not expireStale(id, now) then return 0 end
write(id, ARGV[5], ARGV[6], ARGV[7], ARGV[8], 1, ARGV[9], ARGV[10], ARGV[11])
emit(ARGV[5], ARGV[13])
return 1`;

// ARGV[4..]: id, expected version, now, data, meta, owner, u, e, event → 1 written, 0 gone, -1 version moved.
const UPDATE = `${PRELUDE}
local id, expected, now = ARGV[4], ARGV[5], ARGV[6]
local f = redis.call('HMGET', P .. 'ctx:' .. id, 'ns', 'v', 'c', 'e')
if not f[1] then return 0 end
if f[4] ~= '' and tonumber(f[4]) <= tonumber(now) then return 0 end
if f[2] ~= expected then return -1 end
write(id, f[1], ARGV[7], ARGV[8], ARGV[9], tonumber(expected) + 1, f[3], ARGV[10], ARGV[11])
emit(f[1], ARGV[12])
return 1`;

// ARGV[4..]: id, expected version, now, event → as UPDATE.
const DELETE = `${PRELUDE}
local id, expected, now = ARGV[4], ARGV[5], ARGV[6]
local f = redis.call('HMGET', P .. 'ctx:' .. id, 'ns', 'v', 'e')
if not f[1] then return 0 end
if f[3] ~= '' and tonumber(f[3]) <= tonumber(now) then return 0 end
if f[2] ~= expected then return -1 end
drop(id, f[1])
emit(f[1], ARGV[7])
return 1`;

// ARGV[4..]: now, limit → how many contexts expired. Atomic per batch, so replicas may run it side by side.
const REAP = `${PRELUDE}
local now = ARGV[4]
local ids = redis.call('ZRANGEBYSCORE', P .. 'ctx-exp', '-inf', now, 'LIMIT', 0, tonumber(ARGV[5]))
local n = 0
for _, id in ipairs(ids) do
  if expireStale(id, now) then
    n = n + 1
  else
    local e = redis.call('HGET', P .. 'ctx:' .. id, 'e')
    if e == '' then redis.call('ZREM', P .. 'ctx-exp', id) else redis.call('ZADD', P .. 'ctx-exp', e, id) end
  end
end
return n`;

class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

const FIELDS = ['ns', 'data', 'meta', 'v', 'c', 'u', 'e'] as const;
const LIST_SCAN_CAP = 5000;

/**
 * Contexts in Redis: native expiry (PEXPIREAT) plus an expiry index the reaper walks to announce expiries;
 * Lua scripts make each write, its version check (If-Match) and its event one atomic step; events go to a
 * stream per namespace (ordered ids, so Last-Event-ID resume works) and a pub/sub message wakes watchers.
 */
export class RedisContextStore implements ContextStore {
  readonly backend = 'redis' as const;
  private readonly prefix: string;
  private readonly common: string[];
  private readonly listeners = new Set<(namespace: string) => void>();

  private constructor(
    private readonly client: RedisClient,
    private readonly subscriber: RedisClient,
    options: RedisContextStoreOptions,
  ) {
    this.prefix = options.keyPrefix ?? 'wharf:';
    this.common = [
      this.prefix,
      String(options.maxEventsPerNamespace ?? 100_000),
      String(options.eventRetentionMs ?? 86_400_000),
    ];
  }

  static async connect(options: RedisContextStoreOptions): Promise<RedisContextStore> {
    const client = createClient({ url: options.url, RESP: 2 });
    client.on('error', () => {
      // Reconnects on its own; commands issued meanwhile fail and surface as 5xx to their callers.
    });
    await client.connect();
    const subscriber = client.duplicate();
    subscriber.on('error', () => {});
    await subscriber.connect();
    const store = new RedisContextStore(client as RedisClient, subscriber as RedisClient, options);
    await subscriber.subscribe(`${store.prefix}ctx-changed`, (namespace) => {
      for (const listener of store.listeners) listener(namespace);
    });
    return store;
  }

  async create(context: ContextRecord, now: number): Promise<CreateOutcome> {
    const result = await this.run(CREATE_SCRIPT, [
      context.id,
      context.namespace,
      JSON.stringify(context.data),
      JSON.stringify(context.metadata),
      ownerOf(context.metadata) ?? '',
      String(context.createdAt),
      String(context.updatedAt),
      context.expiresAt === null ? '' : String(context.expiresAt),
      String(now),
      eventJson('created', context, context.updatedAt),
    ]);
    return result === 1 ? { ok: true, context } : { ok: false, reason: 'exists' };
  }

  async get(id: string, now: number): Promise<ContextRecord | null> {
    const values = await this.client.sendCommand<(string | null)[]>(['HMGET', this.key(id), ...FIELDS]);
    const context = fromHash(id, values);
    if (!context || (context.expiresAt !== null && context.expiresAt <= now)) return null;
    return context;
  }

  async update(
    id: string,
    condition: VersionCondition,
    next: (current: ContextRecord) => ContextRecord,
    now: number,
    known?: ContextRecord,
  ): Promise<WriteOutcome> {
    let hint = known;
    for (;;) {
      const current = hint ?? (await this.get(id, now));
      hint = undefined;
      if (!current) return { ok: false, reason: 'not_found' };
      if (typeof condition === 'number' && current.version !== condition) {
        return { ok: false, reason: 'version_mismatch', current };
      }
      const updated = { ...next(current), id, namespace: current.namespace, version: current.version + 1 };
      const result = await this.run(UPDATE_SCRIPT, [
        id,
        String(current.version),
        String(now),
        JSON.stringify(updated.data),
        JSON.stringify(updated.metadata),
        ownerOf(updated.metadata) ?? '',
        String(updated.updatedAt),
        updated.expiresAt === null ? '' : String(updated.expiresAt),
        eventJson('updated', updated, updated.updatedAt),
      ]);
      if (result === 1) return { ok: true, context: updated };
      if (result === 0) return { ok: false, reason: 'not_found' };
      if (typeof condition === 'number') {
        return { ok: false, reason: 'version_mismatch', current: (await this.get(id, now)) ?? undefined };
      }
    }
  }

  async delete(id: string, condition: VersionCondition, now: number, known?: ContextRecord): Promise<DeleteOutcome> {
    let hint = known;
    for (;;) {
      const current = hint ?? (await this.get(id, now));
      hint = undefined;
      if (!current) return { ok: false, reason: 'not_found' };
      if (typeof condition === 'number' && current.version !== condition) {
        return { ok: false, reason: 'version_mismatch', current };
      }
      const event = JSON.stringify({
        type: 'deleted',
        contextId: id,
        namespace: current.namespace,
        version: current.version,
        at: now,
        owner: ownerOf(current.metadata),
      });
      const result = await this.run(DELETE_SCRIPT, [id, String(current.version), String(now), event]);
      if (result === 1) return { ok: true, context: current };
      if (result === 0) return { ok: false, reason: 'not_found' };
      if (typeof condition === 'number') {
        return { ok: false, reason: 'version_mismatch', current: (await this.get(id, now)) ?? undefined };
      }
    }
  }

  async list(query: ListQuery): Promise<ContextPage> {
    const index = `${this.prefix}ctx-ns:${query.namespace}`;
    const found: ContextRecord[] = [];
    let after = query.after;
    let scanned = 0;
    // Metadata filters are applied here, so a page may need several index batches; the scan is capped so
    // one request stays cheap, and the cursor then points at where the scan stopped.
    while (found.length <= query.limit && scanned < LIST_SCAN_CAP) {
      const batch = Math.max(query.limit + 1, 100);
      const ids = await this.client.sendCommand<string[]>([
        'ZRANGEBYLEX',
        index,
        after === undefined ? '-' : `(${after}`,
        '+',
        'LIMIT',
        '0',
        String(batch),
      ]);
      if (ids.length === 0) break;
      scanned += ids.length;
      const rows = await Promise.all(ids.map((id) => this.get(id, query.now)));
      for (const context of rows) {
        if (context && matches(context, query.metadata)) found.push(context);
        if (found.length > query.limit) break;
      }
      after = ids.at(-1);
      if (ids.length < batch) {
        if (found.length <= query.limit) return { contexts: found };
        break;
      }
    }
    if (found.length > query.limit) {
      const contexts = found.slice(0, query.limit);
      return { contexts, nextAfter: contexts.at(-1)?.id };
    }
    return { contexts: found, nextAfter: scanned >= LIST_SCAN_CAP ? after : undefined };
  }

  async reapExpired(now: number, limit: number): Promise<number> {
    return this.run(REAP_SCRIPT, [String(now), String(limit)]);
  }

  async readEvents(namespace: string, afterId: string | undefined, limit: number): Promise<ContextEvent[]> {
    const entries = await this.client.sendCommand<[string, string[]][]>([
      'XRANGE',
      `${this.prefix}ctx-events:${namespace}`,
      afterId === undefined ? '-' : `(${afterId}`,
      '+',
      'COUNT',
      String(limit),
    ]);
    return entries.map(([id, fields]) => {
      const event = JSON.parse(fields[1] ?? '{}') as Omit<ContextEvent, 'id'>;
      return { id, ...event, owner: event.owner ?? null };
    });
  }

  async latestEventId(namespace: string): Promise<string | undefined> {
    const entries = await this.client.sendCommand<[string, string[]][]>([
      'XREVRANGE',
      `${this.prefix}ctx-events:${namespace}`,
      '+',
      '-',
      'COUNT',
      '1',
    ]);
    return entries[0]?.[0] ?? '0-0';
  }

  isEventId(eventId: string): boolean {
    return /^\d{1,20}-\d{1,20}$/.test(eventId);
  }

  async pruneEvents(): Promise<void> {
    // Streams are capped by MAXLEN and expire after a quiet period; nothing to do per call.
  }

  onChange(listener: (namespace: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await Promise.allSettled([this.subscriber.quit(), this.client.quit()]);
  }

  private key(id: string) {
    return `${this.prefix}ctx:${id}`;
  }

  private async run(script: Script, args: string[]): Promise<number> {
    const argv = [...this.common, ...args];
    try {
      return await this.client.sendCommand<number>(['EVALSHA', script.sha, '0', ...argv]);
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return this.client.sendCommand<number>(['EVAL', script.source, '0', ...argv]);
    }
  }
}

const CREATE_SCRIPT = new Script(CREATE);
const UPDATE_SCRIPT = new Script(UPDATE);
const DELETE_SCRIPT = new Script(DELETE);
const REAP_SCRIPT = new Script(REAP);

function eventJson(type: 'created' | 'updated', context: ContextRecord, at: number): string {
  return JSON.stringify({
    type,
    contextId: context.id,
    namespace: context.namespace,
    version: context.version,
    at,
    owner: ownerOf(context.metadata),
    context,
  });
}

function fromHash(id: string, values: (string | null)[]): ContextRecord | null {
  const [ns, data, meta, v, c, u, e] = values;
  if (ns === null || ns === undefined || !data || !meta) return null;
  return {
    id,
    namespace: ns,
    data: JSON.parse(data) as ContextRecord['data'],
    metadata: JSON.parse(meta) as ContextRecord['metadata'],
    version: Number(v),
    createdAt: Number(c),
    updatedAt: Number(u),
    expiresAt: e ? Number(e) : null,
  };
}

function matches(context: ContextRecord, filter: Record<string, string>): boolean {
  return Object.entries(filter).every(([key, value]) => {
    const actual = context.metadata[key];
    return actual !== undefined && actual !== null && typeof actual !== 'object' && String(actual) === value;
  });
}
