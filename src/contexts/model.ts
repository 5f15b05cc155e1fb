/**
 * The context store's domain: JSON documents with metadata and a time-to-live, kept in a namespace,
 * versioned for optimistic concurrency, with an ordered stream of change events.
 */
export type JsonObject = { [key: string]: unknown };

export interface ContextRecord {
  id: string;
  namespace: string;
  data: JsonObject;
  metadata: JsonObject;
  /** Starts at 1 and grows by one on every write. */
  version: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
  updatedAt: number;
  /** Null when the context never expires. */
  expiresAt: number | null;
}

export type ContextEventType = 'created' | 'updated' | 'deleted' | 'expired';

export interface ContextEvent {
  /** Ordered within the namespace; what an SSE client sends back as Last-Event-ID. */
  id: string;
  type: ContextEventType;
  contextId: string;
  namespace: string;
  version: number;
  at: number;
  /** `metadata.owner` of the context, so owner-restricted watchers see only their own. */
  owner: string | null;
  /** The context after the change, for `created` and `updated`. */
  context?: ContextRecord;
}

/** An event before the store assigns its id. */
export type NewContextEvent = Omit<ContextEvent, 'id'>;

export interface ListQuery {
  namespace: string;
  /** Top-level metadata keys that must equal these string values. */
  metadata: Record<string, string>;
  /** Return ids greater than this one. */
  after?: string | undefined;
  limit: number;
  now: number;
}

export interface ContextPage {
  contexts: ContextRecord[];
  /** The last id of a full page; absent when the listing is complete. */
  nextAfter?: string | undefined;
}

/** A write that requires the stored version to be this one (If-Match), or any existing one (`*`). */
export type VersionCondition = number | '*' | undefined;

export type WriteOutcome =
  | { ok: true; context: ContextRecord }
  | { ok: false; reason: 'not_found' | 'version_mismatch'; current?: ContextRecord | undefined };

export type CreateOutcome = { ok: true; context: ContextRecord } | { ok: false; reason: 'exists' };

export type DeleteOutcome =
  | { ok: true; context: ContextRecord }
  | { ok: false; reason: 'not_found' | 'version_mismatch'; current?: ContextRecord | undefined };

/**
 * What every backend provides. Stores never see HTTP or permissions; every method is atomic: the
 * document change and its event are written together or not at all. `now` is the service's clock, so
 * expiry is decided by one clock however many backends or replicas there are.
 */
export interface ContextStore {
  readonly backend: 'sqlite' | 'postgres' | 'redis';
  /** Fails with `exists` when a live context has this id; an expired one is replaced. */
  create(context: ContextRecord, now: number): Promise<CreateOutcome>;
  /** Null when missing or expired. */
  get(id: string, now: number): Promise<ContextRecord | null>;
  /**
   * Writes `next(current)` when the live context's version satisfies `condition`. `next` returns the new
   * document fields; the store sets version = current + 1. Exactly one of concurrent writers with the same
   * expected version wins.
   */
  update(
    id: string,
    condition: VersionCondition,
    next: (current: ContextRecord) => ContextRecord,
    now: number,
    /** The context as the caller just read it, to save a read; the write still checks its version. */
    known?: ContextRecord,
  ): Promise<WriteOutcome>;
  delete(id: string, condition: VersionCondition, now: number, known?: ContextRecord): Promise<DeleteOutcome>;
  list(query: ListQuery): Promise<ContextPage>;
  /** Removes up to `limit` expired contexts, recording an `expired` event for each; returns how many. */
  reapExpired(now: number, limit: number): Promise<number>;
  /** Events of a namespace after `afterId` (exclusive; undefined = from the current end), oldest first. */
  readEvents(namespace: string, afterId: string | undefined, limit: number): Promise<ContextEvent[]>;
  /** The id of the newest event of the namespace, so a new watcher starts from "now". */
  latestEventId(namespace: string): Promise<string | undefined>;
  /** Whether `eventId` has the shape this backend's event ids have (for Last-Event-ID). */
  isEventId(eventId: string): boolean;
  /** Drops events older than `before` (ms). */
  pruneEvents(before: number): Promise<void>;
  /** Called (maybe spuriously) when a namespace may have new events, including other replicas' writes. */
  onChange(listener: (namespace: string) => void): () => void;
  close(): Promise<void>;
}
