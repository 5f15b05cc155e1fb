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
 * Writes are group-committed: events recorded while an INSERT is running are written together by the next one,
 * and each `record()` resolves only once its own row is committed. A lone request pays one INSERT as before;
 * concurrent writers share one instead of queueing one each behind the database connection.
 */
export class AuditService implements AuditTrail {
  private queue: Pending[] = [];
  private writing = false;

  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
    private readonly onError: (error: unknown, event: AuditEvent) => void,
  ) {}

  record(event: AuditEvent): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ event, occurredAt: this.clock.now(), done: resolve });
      if (!this.writing) void this.drain();
    });
  }

  async query(q: AuditQuery): Promise<AuditPage> {
    // One extra row tells whether another page exists.
    const rows = await this.store.query({ ...q, limit: q.limit + 1 });
    const events = rows.slice(0, q.limit);
    const last = events.at(-1);
    return rows.length > q.limit && last ? { events, nextCursor: last.id } : { events };
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
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
    } finally {
      this.writing = false;
    }
  }
}
