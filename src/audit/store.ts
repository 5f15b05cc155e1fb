import type { Database } from '../platform/storage/database.js';
import type { AuditEventsTable } from '../platform/storage/schema.js';
import type { AuditQuery, StoredAuditEvent } from './model.js';
import type { AuditEvent } from './trail.js';

type Row = Omit<AuditEventsTable, 'id'> & { id: number | string };

const toEvent = (row: Row): StoredAuditEvent => ({
  id: String(row.id),
  occurredAt: row.occurred_at,
  action: row.action,
  outcome: row.outcome,
  actor:
    row.actor_method === null
      ? null
      : { method: row.actor_method, subject: row.actor_subject ?? '', keyId: row.actor_key_id },
  target: row.target,
  sourceIp: row.source_ip,
  detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
});

/** SQL for the append-only audit log. */
export class AuditStore {
  constructor(private readonly database: Database) {}

  /** One multi-row INSERT: all of the events are recorded, or none. */
  async append(events: readonly { event: AuditEvent; occurredAt: string }[]): Promise<void> {
    if (events.length === 0) return;
    await this.database.db
      .insertInto('audit_events')
      .values(
        events.map(({ event, occurredAt }) => ({
          occurred_at: occurredAt,
          action: event.action,
          outcome: event.outcome,
          actor_method: event.actor?.method ?? null,
          actor_subject: event.actor?.subject ?? null,
          actor_key_id: event.actor?.keyId ?? null,
          target: event.target ?? null,
          source_ip: event.sourceIp ?? null,
          detail: event.detail ? JSON.stringify(event.detail) : null,
        })),
      )
      .execute();
  }

  /** Newest first, keyset-paginated on the id. */
  async query(q: AuditQuery): Promise<StoredAuditEvent[]> {
    let query = this.database.db.selectFrom('audit_events').selectAll();
    if (q.actor !== undefined) {
      const actor = q.actor;
      query = query.where((eb) => eb.or([eb('actor_subject', '=', actor), eb('actor_key_id', '=', actor)]));
    }
    if (q.action !== undefined) query = query.where('action', '=', q.action);
    if (q.target !== undefined) query = query.where('target', '=', q.target);
    if (q.server !== undefined) {
      const server = q.server;
      // `name@` prefixes compare as a range, which needs no LIKE escaping and uses the target index.
      query = query.where((eb) =>
        eb.or([eb('target', '=', server), eb.and([eb('target', '>=', `${server}@`), eb('target', '<', `${server}A`)])]),
      );
    }
    if (q.outcome !== undefined) query = query.where('outcome', '=', q.outcome);
    if (q.since !== undefined) query = query.where('occurred_at', '>=', q.since);
    if (q.until !== undefined) query = query.where('occurred_at', '<', q.until);
    if (q.before !== undefined) query = query.where('id', '<', q.before);
    const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map(toEvent);
  }
}
