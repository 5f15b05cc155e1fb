import type { Clock } from '../platform/clock.js';
import type { AuditQuery, StoredAuditEvent } from './model.js';
import type { AuditStore } from './store.js';
import type { AuditEvent, AuditTrail } from './trail.js';

export interface AuditPage {
  events: StoredAuditEvent[];
  nextCursor?: string;
}

/** The audit trail backed by the database; reading it is the audit API's job. */
export class AuditService implements AuditTrail {
  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
    private readonly onError: (error: unknown, event: AuditEvent) => void,
  ) {}

  async record(event: AuditEvent): Promise<void> {
    try {
      await this.store.append(event, this.clock.now());
    } catch (error) {
      // The trail's contract: a failing audit write is logged, never turned into a failed user request.
      this.onError(error, event);
    }
  }

  async query(q: AuditQuery): Promise<AuditPage> {
    // One extra row tells whether another page exists.
    const rows = await this.store.query({ ...q, limit: q.limit + 1 });
    const events = rows.slice(0, q.limit);
    const last = events.at(-1);
    return rows.length > q.limit && last ? { events, nextCursor: last.id } : { events };
  }
}
