import pg from 'pg';
import type { Logger } from '../platform/observability/logger.js';
import type { LivenessStore } from './store.js';

/** Who runs the background work (probes, the lease reaper) when several processes share one database. */
export interface Leadership {
  /** The fencing epoch while this process leads; undefined otherwise. */
  readonly epoch: number | undefined;
  start(): Promise<void>;
  /** Gives up leadership (after being fenced out, or at shutdown). */
  resign(): Promise<void>;
  stop(): Promise<void>;
}

/** SQLite: one process owns the file, so it always leads; the epoch still fences a stale process after a restart. */
export class SoleLeadership implements Leadership {
  epoch: number | undefined;

  constructor(private readonly store: LivenessStore) {}

  async start(): Promise<void> {
    this.epoch = await this.store.bumpLeaderEpoch();
  }

  /** Another process took over the file's probing (a newer `serve`); this one stops probing. */
  async resign(): Promise<void> {
    this.epoch = undefined;
  }

  async stop(): Promise<void> {
    this.epoch = undefined;
  }
}

const LOCK_KEY = 'wharf:liveness:leader';

/**
 * PostgreSQL: the leader holds a session advisory lock on a dedicated connection. Locks alone are not safe (a
 * paused leader may not know it lost its session), so each new leader bumps an epoch and every health write is
 * conditional on it: a deposed leader's writes are refused, and it steps down.
 */
export class PostgresLeadership implements Leadership {
  epoch: number | undefined;
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly store: LivenessStore,
    private readonly logger: Logger,
    private readonly retryMs = 5000,
    private readonly onChange: (leading: boolean) => void = () => {},
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.attempt();
    this.timer = setInterval(() => void this.attempt(), this.retryMs);
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.client) {
        const client = new pg.Client({ connectionString: this.url });
        client.on('error', (err) => {
          this.logger.warn({ err }, 'liveness leader connection failed');
          void this.lose();
        });
        await client.connect();
        this.client = client;
      }
      if (this.epoch !== undefined) {
        // Still leading as long as the session (and so the lock) lives.
        await this.client.query('SELECT 1');
        return;
      }
      const res = await this.client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [LOCK_KEY],
      );
      if (res.rows[0]?.locked) {
        this.epoch = await this.store.bumpLeaderEpoch();
        this.logger.info({ epoch: this.epoch }, 'this process now runs liveness probes and the lease reaper');
        this.onChange(true);
      }
    } catch (err) {
      this.logger.warn({ err }, 'liveness leadership check failed');
      await this.lose();
    }
  }

  private async lose(): Promise<void> {
    const was = this.epoch !== undefined;
    this.epoch = undefined;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
    if (was) this.onChange(false);
  }

  async resign(): Promise<void> {
    if (this.epoch === undefined) return;
    this.logger.warn({ epoch: this.epoch }, 'fenced out by a newer liveness leader; stepping down');
    await this.lose();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.lose();
  }
}
