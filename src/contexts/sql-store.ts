import { sql } from 'kysely';
import type { Transaction } from 'kysely';
import type { Database } from '../platform/storage/database.js';
import type { ContextEventsTable, ContextsTable, WharfSchema } from '../platform/storage/schema.js';
import type {
  ContextEvent,
  ContextPage,
  ContextRecord,
  ContextStore,
  CreateOutcome,
  DeleteOutcome,
  ListQuery,
  NewContextEvent,
  VersionCondition,
  WriteOutcome,
} from './model.js';
import { ownerOf } from './model-json.js';

type Row = ContextsTable;
type Trx = Transaction<WharfSchema>;

/** How often watchers look for other replicas' events when nothing happened in this process. */
const POLL_MS = 200;

/**
 * Contexts in the main database (SQLite or PostgreSQL). Every write and its event row commit in one
 * transaction. On PostgreSQL, event rows of one namespace are inserted under a namespace advisory lock
 * held until commit, so sequence order equals commit order and a watcher reading `seq > last` never
 * skips an event that commits late.
 */
export class SqlContextStore implements ContextStore {
  readonly backend: 'sqlite' | 'postgres';
  private readonly listeners = new Set<(namespace: string) => void>();
  private poller: NodeJS.Timeout | undefined;

  constructor(private readonly database: Database) {
    this.backend = database.dialect;
  }

  private get db() {
    return this.database.db;
  }

  async create(context: ContextRecord, now: number): Promise<CreateOutcome> {
    const outcome = await this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('contexts').selectAll().where('id', '=', context.id).executeTakeFirst();
      if (existing) {
        const current = fromRow(existing);
        if (!isExpired(current, now)) return { ok: false as const, reason: 'exists' as const };
        // The id is taken only by an expired context the reaper has not reached yet: expire it now.
        await trx.deleteFrom('contexts').where('id', '=', context.id).execute();
        await this.appendEvents(trx, [expiredEvent(current, now)]);
      }
      await trx.insertInto('contexts').values(toRow(context)).execute();
      await this.appendEvents(trx, [changeEvent('created', context)]);
      return { ok: true as const, context };
    });
    if (outcome.ok) this.notify(context.namespace);
    return outcome;
  }

  async get(id: string, now: number): Promise<ContextRecord | null> {
    const row = await this.db.selectFrom('contexts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const context = fromRow(row);
    return isExpired(context, now) ? null : context;
  }

  async update(
    id: string,
    condition: VersionCondition,
    next: (current: ContextRecord) => ContextRecord,
    now: number,
    known?: ContextRecord,
  ): Promise<WriteOutcome> {
    let hint = known;
    // Optimistic: read, compute, then write only if the version is still the one read. Without If-Match a
    // lost race is retried on the new version; with If-Match it is a conflict.
    for (;;) {
      const current = hint ?? (await this.get(id, now));
      if (!current) return { ok: false, reason: 'not_found' };
      if (typeof condition === 'number' && current.version !== condition) {
        return { ok: false, reason: 'version_mismatch', current };
      }
      const updated = { ...next(current), id, namespace: current.namespace, version: current.version + 1 };
      const won = await this.db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('contexts')
          .set({
            data: JSON.stringify(updated.data),
            metadata: JSON.stringify(updated.metadata),
            owner: ownerOf(updated.metadata),
            version: updated.version,
            updated_at: updated.updatedAt,
            expires_at: updated.expiresAt,
          })
          .where('id', '=', id)
          .where('version', '=', current.version)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) return false;
        await this.appendEvents(trx, [changeEvent('updated', updated)]);
        return true;
      });
      if (won) {
        this.notify(updated.namespace);
        return { ok: true, context: updated };
      }
      // Lost the race: the context changed, or was deleted or expired meanwhile.
      const latest = await this.get(id, now);
      if (!latest) return { ok: false, reason: 'not_found' };
      if (typeof condition === 'number') return { ok: false, reason: 'version_mismatch', current: latest };
      hint = latest;
    }
  }

  async delete(id: string, condition: VersionCondition, now: number, known?: ContextRecord): Promise<DeleteOutcome> {
    let hint = known;
    for (;;) {
      const current = hint ?? (await this.get(id, now));
      if (!current) return { ok: false, reason: 'not_found' };
      if (typeof condition === 'number' && current.version !== condition) {
        return { ok: false, reason: 'version_mismatch', current };
      }
      const won = await this.db.transaction().execute(async (trx) => {
        const result = await trx
          .deleteFrom('contexts')
          .where('id', '=', id)
          .where('version', '=', current.version)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
          .executeTakeFirst();
        if (Number(result.numDeletedRows) !== 1) return false;
        await this.appendEvents(trx, [{ ...baseEvent('deleted', current), at: now }]);
        return true;
      });
      if (won) {
        this.notify(current.namespace);
        return { ok: true, context: current };
      }
      // Lost the race: the context changed, or was deleted or expired meanwhile.
      const latest = await this.get(id, now);
      if (!latest) return { ok: false, reason: 'not_found' };
      if (typeof condition === 'number') return { ok: false, reason: 'version_mismatch', current: latest };
      hint = latest;
    }
  }

  async list(query: ListQuery): Promise<ContextPage> {
    let select = this.db
      .selectFrom('contexts')
      .selectAll()
      .where('namespace', '=', query.namespace)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', query.now)]));
    if (query.after !== undefined) select = select.where('id', '>', query.after);
    for (const [key, value] of Object.entries(query.metadata)) {
      // Keys are validated to a safe character set before they get here; the path is still a bound value.
      const path = `$.${JSON.stringify(key)}`;
      select =
        this.backend === 'sqlite'
          ? select.where(sql<string>`CAST(json_extract(metadata, ${path}) AS TEXT)`, '=', value)
          : select.where(sql<string>`(metadata::json ->> ${key})`, '=', value);
    }
    const rows = await select
      .orderBy('id')
      .limit(query.limit + 1)
      .execute();
    const contexts = rows.slice(0, query.limit).map(fromRow);
    return { contexts, nextAfter: rows.length > query.limit ? contexts.at(-1)?.id : undefined };
  }

  async reapExpired(now: number, limit: number): Promise<number> {
    const reaped = await this.db.transaction().execute(async (trx) => {
      // SKIP LOCKED lets replicas reap side by side without waiting on each other or on writers.
      const due = trx
        .selectFrom('contexts')
        .select('id')
        .where('expires_at', '<=', now)
        .orderBy('expires_at')
        .limit(limit);
      const rows = await trx
        .deleteFrom('contexts')
        .where('id', 'in', this.backend === 'postgres' ? due.forUpdate().skipLocked() : due)
        .returningAll()
        .execute();
      const expired = rows.map(fromRow).sort((a, b) => (a.expiresAt ?? 0) - (b.expiresAt ?? 0));
      await this.appendEvents(
        trx,
        expired.map((context) => expiredEvent(context, now)),
      );
      return expired;
    });
    for (const namespace of new Set(reaped.map((c) => c.namespace))) this.notify(namespace);
    return reaped.length;
  }

  async readEvents(namespace: string, afterId: string | undefined, limit: number): Promise<ContextEvent[]> {
    let select = this.db.selectFrom('context_events').selectAll().where('namespace', '=', namespace);
    if (afterId !== undefined) select = select.where('seq', '>', Number(afterId));
    const rows = await select.orderBy('seq').limit(limit).execute();
    return rows.map(eventFromRow);
  }

  async latestEventId(namespace: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('context_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('namespace', '=', namespace)
      .executeTakeFirst();
    return row?.seq === null || row?.seq === undefined ? '0' : String(row.seq);
  }

  isEventId(eventId: string): boolean {
    return /^\d{1,18}$/.test(eventId);
  }

  async pruneEvents(before: number): Promise<void> {
    await this.db.deleteFrom('context_events').where('at', '<', before).execute();
  }

  onChange(listener: (namespace: string) => void): () => void {
    this.listeners.add(listener);
    // Other replicas write to the same tables: wake watchers periodically while any are listening.
    this.poller ??= setInterval(() => {
      for (const l of this.listeners) l('*');
    }, POLL_MS).unref();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.poller) {
        clearInterval(this.poller);
        this.poller = undefined;
      }
    };
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    this.listeners.clear();
  }

  private notify(namespace: string) {
    for (const listener of this.listeners) listener(namespace);
  }

  private async appendEvents(trx: Trx, events: NewContextEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (this.backend === 'postgres') {
      const namespaces = [...new Set(events.map((e) => e.namespace))].sort();
      for (const namespace of namespaces) await this.database.lockKey(trx, `context-events:${namespace}`);
    }
    // Chunked: SQLite allows a bounded number of bound parameters per statement.
    for (let i = 0; i < events.length; i += 100) {
      await trx
        .insertInto('context_events')
        .values(events.slice(i, i + 100).map(eventToRow))
        .execute();
    }
  }
}

export function isExpired(context: ContextRecord, now: number): boolean {
  return context.expiresAt !== null && context.expiresAt <= now;
}

function toRow(context: ContextRecord): Row {
  return {
    id: context.id,
    namespace: context.namespace,
    data: JSON.stringify(context.data),
    metadata: JSON.stringify(context.metadata),
    owner: ownerOf(context.metadata),
    version: context.version,
    created_at: context.createdAt,
    updated_at: context.updatedAt,
    expires_at: context.expiresAt,
  };
}

function fromRow(row: Row): ContextRecord {
  return {
    id: row.id,
    namespace: row.namespace,
    data: JSON.parse(row.data) as ContextRecord['data'],
    metadata: JSON.parse(row.metadata) as ContextRecord['metadata'],
    version: Number(row.version),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
  };
}

function baseEvent(type: NewContextEvent['type'], context: ContextRecord): NewContextEvent {
  return {
    type,
    contextId: context.id,
    namespace: context.namespace,
    version: context.version,
    at: context.updatedAt,
    owner: ownerOf(context.metadata),
  };
}

function changeEvent(type: 'created' | 'updated', context: ContextRecord): NewContextEvent {
  return { ...baseEvent(type, context), context };
}

export function expiredEvent(context: ContextRecord, now: number): NewContextEvent {
  return { ...baseEvent('expired', context), at: now };
}

function eventToRow(event: NewContextEvent): Omit<ContextEventsTable, 'seq'> {
  return {
    namespace: event.namespace,
    context_id: event.contextId,
    type: event.type,
    version: event.version,
    at: event.at,
    owner: event.owner,
    context: event.context ? JSON.stringify(event.context) : null,
  };
}

function eventFromRow(row: { seq: number | string } & Omit<ContextEventsTable, 'seq'>): ContextEvent {
  const event: ContextEvent = {
    id: String(row.seq),
    type: row.type,
    contextId: row.context_id,
    namespace: row.namespace,
    version: Number(row.version),
    at: Number(row.at),
    owner: row.owner,
  };
  if (row.context !== null) event.context = JSON.parse(row.context) as ContextRecord;
  return event;
}
