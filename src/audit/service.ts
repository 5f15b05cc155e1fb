import type { Clock } from '../platform/clock.js';
import type { AuditQuery, StoredAuditEvent } from './model.js';
import type { AuditStore } from './store.js';
import type { AuditEvent, AuditTrail } from './trail.js';

export interface AuditPage {
  events: StoredAuditEvent[];
  nextCursor?: string;
}

interface Pending {
  event: AuditEvent;
  occurredAt: string;
  done: () => void;
}

/** Rows per INSERT: 10 columns each stays far below SQLite's and PostgreSQL's bound-parameter limits. */
const MAX_BATCH = 500;

/**
 * The audit trail backed by the database; reading it is the audit API's job.
 *
 * Writes are group-committed: events recorded in the same turn of the event loop, or while an INSERT is running,
 * are written together by one INSERT, and each `record()` resolves only once its own row is committed. A lone
 * request pays one INSERT as before; concurrent writers (gateway calls by the hundred per second) share one instead
 * of paying one each, which matters most on SQLite, whose driver runs every statement synchronously.
 */
export class AuditService implements AuditTrail {
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
    private readonly onError: (error: unknown, event: AuditEvent) => void,
  ) {}

  record(event: AuditEvent): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ event, occurredAt: this.clock.now(), done: resolve });
      this.draining ??= new Promise<void>((next) => setImmediate(next))
        .then(() => this.drain())
        .finally(() => {
          this.draining = undefined;
        });
    });
  }

  async query(q: AuditQuery): Promise<AuditPage> {
    // One extra row tells whether another page exists.
    const rows = await this.store.query({ ...q, limit: q.limit + 1 });
    const events = rows.slice(0, q.limit);
    const last = events.at(-1);
    return rows.length > q.limit && last ? { events, nextCursor: last.id } : { events };
  }

  /** Resolves once every event recorded so far is committed (called before the database closes). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await this.store.append(batch);
      } catch (error) {
        // The trail's contract: a failing audit write is logged, never turned into a failed user request.
        for (const pending of batch) this.onError(error, pending.event);
      }
      for (const pending of batch) pending.done();
    }
  }
}
