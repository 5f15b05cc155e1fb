/** Why an outbound request failed; stable for callers that map errors to responses or retries. */
export type OutboundErrorCode = 'invalid_url' | 'blocked' | 'timeout' | 'too_large' | 'redirect' | 'network';

/** Base class of every error the outbound client throws. `host` is the host of the URL being fetched. */
export abstract class OutboundError extends Error {
  abstract readonly code: OutboundErrorCode;
  readonly host: string;

  protected constructor(message: string, host: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.host = host;
  }
}

/** The URL cannot be requested at all: not absolute, a scheme other than http/https, or embedded credentials. */
export class OutboundUrlError extends OutboundError {
  readonly code = 'invalid_url' as const;

  constructor(message: string, host: string) {
    super(message, host);
  }
}

/** Refused by policy before or while connecting: the host is, or resolves to, a non-public address. */
export class OutboundBlockedError extends OutboundError {
  readonly code = 'blocked' as const;
  /** The refused IP address, when the refusal was about an address rather than the URL's shape. */
  readonly address: string | undefined;

  constructor(message: string, host: string, address?: string) {
    super(message, host);
    this.address = address;
  }

  /** The refusal for a non-public address, worded so an operator knows which switch lifts it. */
  static forAddress(host: string, address: string | undefined, label: string): OutboundBlockedError {
    const bare = host.replace(/^\[(.*)\]$/, '$1');
    const target = address === undefined || bare === address ? bare : `${host} (${address})`;
    return new OutboundBlockedError(
      `refusing to connect to ${target}: it is a ${label} address. Wharf only sends requests for user-supplied URLs ` +
        'to public internet addresses; set WHARF_ALLOW_PRIVATE_NETWORKS=true to lift this restriction ' +
        '(for tests, labs and private deployments)',
      host,
      address,
    );
  }
}

/** The request (all redirect hops and the body included) did not finish within its time budget. */
export class OutboundTimeoutError extends OutboundError {
  readonly code = 'timeout' as const;
  readonly timeoutMs: number;

  constructor(host: string, timeoutMs: number) {
    super(`request to ${host} timed out after ${timeoutMs} ms`, host);
    this.timeoutMs = timeoutMs;
  }
}

/** The response body exceeded the byte cap; reading stopped there. */
export class OutboundTooLargeError extends OutboundError {
  readonly code = 'too_large' as const;
  readonly maxBytes: number;

  constructor(host: string, maxBytes: number) {
    super(`response from ${host} is larger than the ${maxBytes}-byte limit; reading was aborted`, host);
    this.maxBytes = maxBytes;
  }
}

/** A redirect that was refused: `redirect: 'error'`, too many hops, a bad Location, or a caller's redirect check. */
export class OutboundRedirectError extends OutboundError {
  readonly code = 'redirect' as const;

  constructor(message: string, host: string) {
    super(message, host);
  }
}

/** Connection, TLS or protocol failure that is not a policy decision (DNS failure, refused connection, reset). */
export class OutboundNetworkError extends OutboundError {
  readonly code = 'network' as const;

  constructor(host: string, cause: unknown) {
    super(`request to ${host} failed: ${describeCause(cause)}`, host, { cause });
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message;
  }
  return String(cause);
}
