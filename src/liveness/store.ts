import { sql } from 'kysely';
import type { Database, Queryable } from '../platform/storage/database.js';
import type { WharfSchema } from '../platform/storage/schema.js';
import type {
  HealthHour,
  HealthStatus,
  HealthTransition,
  Instance,
  InstanceListFilter,
  InstanceState,
  InstanceTransport,
  TargetHealth,
} from './model.js';

type InstanceRow = WharfSchema['instances'];
type HealthRow = WharfSchema['health_checks'];

const toInstance = (r: InstanceRow): Instance => ({
  id: r.id,
  server: r.server_name,
  url: r.url,
  transport: r.transport as InstanceTransport,
  metadata: JSON.parse(r.metadata) as Instance['metadata'],
  state: r.state,
  statusNote: r.status_note,
  ttlSeconds: r.ttl_seconds,
  registeredAt: r.registered_at,
  stateChangedAt: r.state_changed_at,
  leaseExpiresAt: r.lease_expires_at,
  registeredBy: r.registered_by,
  tokenHash: r.token_hash,
});

const toHealth = (r: HealthRow): TargetHealth => ({
  targetId: r.target_id,
  kind: r.kind,
  server: r.server_name,
  url: r.url,
  transport: r.transport,
  status: r.status,
  statusSince: r.status_since,
  checkedAt: r.checked_at,
  latencyMs: r.latency_ms,
  era: r.era,
  protocolVersion: r.protocol_version,
  reportedName: r.reported_name,
  reportedVersion: r.reported_version,
  toolCount: r.tool_count,
  toolNames: r.tool_names === null ? null : (JSON.parse(r.tool_names) as string[]),
  lastError: r.last_error,
  consecutiveFailures: r.consecutive_failures,
  uptime24h: r.uptime_24h === null ? null : Number(r.uptime_24h),
});

const fromHealth = (h: TargetHealth): HealthRow => ({
  target_id: h.targetId,
  kind: h.kind,
  server_name: h.server,
  url: h.url,
  transport: h.transport,
  status: h.status,
  status_since: h.statusSince,
  checked_at: h.checkedAt,
  latency_ms: h.latencyMs,
  era: h.era,
  protocol_version: h.protocolVersion,
  reported_name: h.reportedName,
  reported_version: h.reportedVersion,
  tool_count: h.toolCount,
  tool_names: h.toolNames === null ? null : JSON.stringify(h.toolNames),
  last_error: h.lastError,
  consecutive_failures: h.consecutiveFailures,
  uptime_24h: h.uptime24h,
});

const HEALTH_COLUMNS = [
  'kind',
  'server_name',
  'url',
  'transport',
  'status',
  'status_since',
  'checked_at',
  'latency_ms',
  'era',
  'protocol_version',
  'reported_name',
  'reported_version',
  'tool_count',
  'tool_names',
  'last_error',
  'consecutive_failures',
  'uptime_24h',
] as const;

/** `SET col = excluded.col` for an upsert, in both dialects (typed loosely: Kysely cannot type `excluded.` refs built from a list). */
function excludedColumns<C extends string>(columns: readonly C[]) {
  return (eb: { ref(ref: string): unknown }) =>
    Object.fromEntries(columns.map((c) => [c, eb.ref(`excluded.${c}`)])) as Record<C, never>;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** What a prober writes in one batch. */
export interface HealthBatch {
  checks: TargetHealth[];
  transitions: HealthTransition[];
  hours: HealthHour[];
  /** Targets that no longer exist (their server was deleted or the instance deregistered). */
  removed: string[];
}

/** SQL for instances and health. Knows nothing of HTTP, leases or probing rules. */
export class LivenessStore {
  constructor(
    private readonly database: Database,
    private readonly q: Queryable = database.db,
  ) {}

  // ---- instances

  async insertInstance(i: Instance): Promise<void> {
    await this.q
      .insertInto('instances')
      .values({
        id: i.id,
        server_name: i.server,
        url: i.url,
        transport: i.transport,
        metadata: JSON.stringify(i.metadata),
        token_hash: i.tokenHash,
        registered_by: i.registeredBy,
        state: i.state,
        status_note: i.statusNote,
        ttl_seconds: i.ttlSeconds,
        registered_at: i.registeredAt,
        state_changed_at: i.stateChangedAt,
        lease_expires_at: i.leaseExpiresAt,
      })
      .execute();
  }

  async findInstance(id: string): Promise<Instance | undefined> {
    const row = await this.q.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toInstance(row);
  }

  async allInstances(): Promise<Instance[]> {
    return (await this.q.selectFrom('instances').selectAll().execute()).map(toInstance);
  }

  async listInstances(filter: InstanceListFilter): Promise<Instance[]> {
    let query = this.q.selectFrom('instances').selectAll();
    if (filter.server !== undefined) query = query.where('server_name', '=', filter.server);
    if (filter.state !== undefined) query = query.where('state', '=', filter.state);
    if (filter.cursor !== undefined) query = query.where('id', '>', filter.cursor);
    const rows = await query.orderBy('id').limit(filter.limit).execute();
    return rows.map(toInstance);
  }

  /** Passing instances whose durable lease has lapsed (the source for replicas that share a database). */
  async lapsedInstances(nowIso: string): Promise<Instance[]> {
    const rows = await this.q
      .selectFrom('instances')
      .selectAll()
      .where('state', '=', 'passing')
      .where('lease_expires_at', '<=', nowIso)
      .execute();
    return rows.map(toInstance);
  }

  /**
   * Changes the state only if it still is `from` (and, when going critical, the durable lease is still lapsed),
   * so a heartbeat persisted by another replica in between wins. True when the row changed.
   */
  async transition(
    id: string,
    from: InstanceState,
    to: InstanceState,
    at: string,
    leaseExpiresAt?: string,
  ): Promise<boolean> {
    let query = this.q
      .updateTable('instances')
      .set(
        leaseExpiresAt === undefined
          ? { state: to, state_changed_at: at }
          : { state: to, state_changed_at: at, lease_expires_at: leaseExpiresAt },
      )
      .where('id', '=', id)
      .where('state', '=', from);
    if (to === 'critical') query = query.where('lease_expires_at', '<=', at);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Records a state change decided elsewhere (Redis leases), only if it is newer than the one the row holds: two
   * replicas' writes may arrive out of order, and the row must end in the order the lease store decided.
   */
  async recordTransition(id: string, to: InstanceState, at: string, leaseExpiresAt?: string): Promise<boolean> {
    const result = await this.q
      .updateTable('instances')
      .set(
        leaseExpiresAt === undefined
          ? { state: to, state_changed_at: at }
          : { state: to, state_changed_at: at, lease_expires_at: leaseExpiresAt },
      )
      .where('id', '=', id)
      .where('state_changed_at', '<', at)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Changes whenever an instance is added, removed or changes state: replicas poll it to refresh their view. */
  async instanceFingerprint(): Promise<string> {
    const row = await this.q
      .selectFrom('instances')
      .select((eb) => [
        eb.fn.countAll<number | string>().as('n'),
        eb.fn.max('state_changed_at').as('changed'),
        eb.fn.max('registered_at').as('registered'),
      ])
      .executeTakeFirst();
    return `${row?.n ?? 0}|${row?.changed ?? ''}|${row?.registered ?? ''}`;
  }

  async renewLease(id: string, leaseExpiresAt: string): Promise<void> {
    await this.q.updateTable('instances').set({ lease_expires_at: leaseExpiresAt }).where('id', '=', id).execute();
  }

  async setStatusNote(id: string, note: string | null): Promise<void> {
    await this.q.updateTable('instances').set({ status_note: note }).where('id', '=', id).execute();
  }

  async deleteInstance(id: string): Promise<boolean> {
    const result = await this.q.deleteFrom('instances').where('id', '=', id).executeTakeFirst();
    await this.q.deleteFrom('health_checks').where('target_id', '=', `instance:${id}`).execute();
    return Number(result.numDeletedRows) > 0;
  }

  // ---- health

  async generation(): Promise<number> {
    const row = await this.q.selectFrom('liveness_state').select('generation').where('id', '=', 1).executeTakeFirst();
    return Number(row?.generation ?? 0);
  }

  /** Takes the prober role: a new epoch that older leaders' writes are fenced against. */
  async bumpLeaderEpoch(): Promise<number> {
    return this.database.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('liveness_state')
        .set((eb) => ({ leader_epoch: eb('leader_epoch', '+', 1) }))
        .where('id', '=', 1)
        .execute();
      const row = await trx
        .selectFrom('liveness_state')
        .select('leader_epoch')
        .where('id', '=', 1)
        .executeTakeFirstOrThrow();
      return Number(row.leader_epoch);
    });
  }

  /**
   * Writes one batch of probe outcomes in one transaction, only if `epoch` is still the current leader epoch
   * (fencing: a prober that lost leadership cannot overwrite its successor's results). False when fenced.
   */
  async writeHealth(batch: HealthBatch, epoch: number): Promise<boolean> {
    return this.database.db.transaction().execute(async (trx) => {
      const state = await trx
        .updateTable('liveness_state')
        .set((eb) => ({ generation: eb('generation', '+', 1) }))
        .where('id', '=', 1)
        .where('leader_epoch', '=', epoch)
        .executeTakeFirst();
      if (Number(state.numUpdatedRows) === 0) return false;
      // Multi-row statements in chunks: one statement per chunk instead of one per probe outcome.
      for (const rows of chunks(batch.checks.map(fromHealth), 200)) {
        await trx
          .insertInto('health_checks')
          .values(rows)
          .onConflict((oc) => oc.column('target_id').doUpdateSet(excludedColumns(HEALTH_COLUMNS)))
          .execute();
      }
      const serverOf = new Map(batch.checks.map((c) => [c.targetId, c.server]));
      for (const rows of chunks(batch.transitions, 500)) {
        await trx
          .insertInto('health_transitions')
          .values(
            rows.map((t) => ({
              target_id: t.targetId,
              server_name: serverOf.get(t.targetId) ?? '',
              at: t.at,
              from_status: t.from,
              to_status: t.to,
              error: t.error,
            })),
          )
          .execute();
      }
      for (const rows of chunks(batch.hours, 500)) {
        await trx
          .insertInto('health_hours')
          .values(
            rows.map((h) => ({
              target_id: h.targetId,
              hour: h.hour,
              server_name: h.server,
              probes: h.probes,
              passing: h.passing,
              latencies: JSON.stringify(h.latencies),
            })),
          )
          .onConflict((oc) =>
            oc.columns(['target_id', 'hour']).doUpdateSet(excludedColumns(['probes', 'passing', 'latencies'] as const)),
          )
          .execute();
      }
      if (batch.removed.length > 0)
        await trx.deleteFrom('health_checks').where('target_id', 'in', batch.removed).execute();
      return true;
    });
  }

  async allHealth(): Promise<TargetHealth[]> {
    return (await this.q.selectFrom('health_checks').selectAll().execute()).map(toHealth);
  }

  async healthOf(server: string): Promise<TargetHealth[]> {
    const rows = await this.q.selectFrom('health_checks').selectAll().where('server_name', '=', server).execute();
    return rows.map(toHealth);
  }

  async transitionsOf(
    server: string,
    sinceIso: string,
    limit: number,
  ): Promise<(HealthTransition & { server: string })[]> {
    const rows = await this.q
      .selectFrom('health_transitions')
      .selectAll()
      .where('server_name', '=', server)
      .where('at', '>=', sinceIso)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      targetId: r.target_id,
      server: r.server_name,
      at: r.at,
      from: r.from_status as HealthStatus | null,
      to: r.to_status as HealthStatus,
      error: r.error,
    }));
  }

  async hoursOf(server: string, sinceIso: string): Promise<HealthHour[]> {
    const rows = await this.q
      .selectFrom('health_hours')
      .selectAll()
      .where('server_name', '=', server)
      .where('hour', '>=', sinceIso)
      .execute();
    return rows.map(toHour);
  }

  async hoursSince(sinceIso: string): Promise<HealthHour[]> {
    return (await this.q.selectFrom('health_hours').selectAll().where('hour', '>=', sinceIso).execute()).map(toHour);
  }

  /** Drops history older than the retention horizon. */
  async pruneHistory(beforeIso: string): Promise<void> {
    await this.q.deleteFrom('health_hours').where('hour', '<', beforeIso).execute();
    await this.q.deleteFrom('health_transitions').where('at', '<', beforeIso).execute();
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.q);
  }
}

const toHour = (r: WharfSchema['health_hours']): HealthHour => ({
  targetId: r.target_id,
  hour: r.hour,
  server: r.server_name,
  probes: r.probes,
  passing: r.passing,
  latencies: JSON.parse(r.latencies) as number[],
});
