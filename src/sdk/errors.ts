/**
 * Typed failures of the SDK. Every error a `WharfClient` call rejects with is one of these (or the caller's own
 * `AbortSignal` reason when the caller cancelled), so callers can branch with `instanceof` instead of parsing text.
 */

/** One entry of a problem+json `errors` array (huma's shape: message, optional location and offending value). */
export interface ProblemDetail {
  message: string;
  location?: string;
  value?: unknown;
}

/** The registry's error body: `application/problem+json` `{title, status, detail, errors?}`. */
export interface Problem {
  title: string;
  status: number;
  detail: string;
  errors?: ProblemDetail[];
  [extension: string]: unknown;
}

export class WharfError extends Error {
  override name = 'WharfError';
}

/** The server answered with a non-2xx status. `problem` is the parsed body (synthesised when it was not JSON). */
export class WharfApiError extends WharfError {
  override name = 'WharfApiError';
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: ProblemDetail[];
  readonly problem: Problem;
  readonly method: string;
  readonly url: string;
  /** Seconds from a `Retry-After` header, when the server sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: { method: string; url: string; problem: Problem; retryAfterSeconds?: number | undefined }) {
    const { problem } = init;
    const details = (problem.errors ?? []).map((e) => e.message).filter(Boolean);
    super(
      `${init.method} ${init.url} → ${problem.status} ${problem.title}: ${problem.detail}` +
        (details.length > 0 ? ` (${details.join('; ')})` : ''),
    );
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.problem = problem;
    this.method = init.method;
    this.url = init.url;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** The request never produced an HTTP response: refused or reset connection, DNS failure, TLS error... */
export class WharfNetworkError extends WharfError {
  override name = 'WharfNetworkError';
  constructor(
    readonly method: string,
    readonly url: string,
    override readonly cause: unknown,
  ) {
    super(`${method} ${url} failed: ${describeCause(cause)}`);
  }
}

/** No complete response within the client's `timeoutMs` (per attempt). */
export class WharfTimeoutError extends WharfError {
  override name = 'WharfTimeoutError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`${method} ${url} timed out after ${timeoutMs} ms`);
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  // undici reports "fetch failed" and puts the useful part (ECONNREFUSED, ECONNRESET...) in `cause`.
  const inner = (cause as { cause?: unknown }).cause;
  if (inner instanceof Error) {
    const code = (inner as { code?: string }).code;
    return code ? `${code} ${inner.message}` : inner.message;
  }
  return cause.message;
}
