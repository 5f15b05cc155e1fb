import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import {
  OutboundBlockedError,
  OutboundError,
  OutboundNetworkError,
  OutboundRedirectError,
  OutboundTimeoutError,
  OutboundTooLargeError,
  OutboundUrlError,
} from './errors.js';
import { createGuardedLookup, systemResolver } from './guarded-lookup.js';
import type { Resolver } from './guarded-lookup.js';
import { createAddressPolicy, hostVerdict } from './ip-policy.js';
import { dispatcherFetch } from './dispatcher-fetch.js';
import type { FetchFunction } from './dispatcher-fetch.js';

export interface OutboundClientOptions {
  /** `WHARF_ALLOW_PRIVATE_NETWORKS`: when true, loopback/private/link-local targets are allowed. */
  allowPrivateNetworks: boolean;
  /** Sent as `User-Agent` unless a request sets its own. */
  userAgent: string;
  /** Default budget per request: every redirect hop and the whole body included. */
  timeoutMs: number;
  /** Default response body cap in bytes (5 MiB when omitted). */
  maxBytes?: number;
  /** Redirect hops followed before giving up (10 when omitted, as Go's net/http). */
  maxRedirects?: number;
  /**
   * Addresses (CIDRs or single IPs) reachable even though they are not public, e.g. an internal package mirror. Host
   * names `localhost` and `*.localhost` still need `allowPrivateNetworks`.
   */
  allowAddresses?: readonly string[];
  /** Test seam: replaces system DNS resolution. The address policy still applies to what it returns. */
  resolve?: Resolver;
}

export interface OutboundRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** `follow` (default) re-validates every hop; `manual` returns the 3xx response; `error` throws on a 3xx. */
  redirect?: 'follow' | 'manual' | 'error';
  maxBytes?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Extra veto on each redirect hop, run after the address policy; return a reason to refuse the hop. */
  checkRedirect?: (next: URL, previous: URL) => string | undefined;
}

/** A fully buffered response: the body has been read within the size cap before this is returned. */
export interface OutboundResponse {
  readonly status: number;
  /** The final URL, after redirects. */
  readonly url: string;
  readonly redirected: boolean;
  readonly headers: Headers;
  readonly body: Buffer;
  text(): string;
  /** Parses the body as JSON; throws `SyntaxError` on malformed input. */
  json(): unknown;
}

/**
 * A response whose body is read as it arrives (SSE streams that stay open). No redirects are followed. The
 * time budget covers the whole exchange until `close()`; the caller caps the bytes it reads.
 */
export interface OutboundStream {
  readonly status: number;
  readonly url: string;
  readonly headers: Headers;
  readonly body: AsyncIterable<Buffer>;
  /** Stops reading and releases the connection; safe to call twice. */
  close(): void;
}

export interface OutboundClient {
  readonly allowPrivateNetworks: boolean;
  fetch(url: string | URL, init?: OutboundRequestInit): Promise<OutboundResponse>;
  /** Like `fetch` without redirects, returning the body as a stream. Errors while reading are OutboundErrors too. */
  stream(url: string | URL, init?: OutboundRequestInit): Promise<OutboundStream>;
  /**
   * A WHATWG-shaped fetch over the same guarded connections, for libraries that take one (the MCP SDK transports):
   * the URL is checked like `fetch`'s, redirects are returned, not followed, and no timeout or size cap is added.
   */
  readonly webFetch: FetchFunction;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Credentials must not follow a redirect to another origin (e.g. a registry token sent on to a blob CDN). */
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * Creates the SSRF-guarded HTTP client for requests to user-supplied URLs (package registries, remotes, auth issuers).
 * Only http and https are allowed. Unless `allowPrivateNetworks` is set, the address actually connected to must be
 * public: IP literals are checked before connecting and host names inside the socket's DNS lookup, so DNS rebinding
 * between check and connect is impossible. Every redirect hop goes through the same checks.
 *
 * @example
 * const client = createOutboundClient({ allowPrivateNetworks: false, userAgent: 'Wharf/0.1', timeoutMs: 10_000 });
 * const res = await client.fetch('https://registry.npmjs.org/left-pad/1.3.0', { maxBytes: 1 << 20 });
 * if (res.status === 200) console.log(res.json());
 */
export function createOutboundClient(options: OutboundClientOptions): OutboundClient {
  const { allowPrivateNetworks, userAgent } = options;
  const defaultMaxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxRedirects = options.maxRedirects ?? 10;
  const policy = createAddressPolicy(allowPrivateNetworks, options.allowAddresses);
  const agent = new Agent({
    connect: { lookup: createGuardedLookup(options.resolve ?? systemResolver, policy) },
  });

  function checkTarget(url: URL): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new OutboundUrlError(
        `unsupported URL scheme "${url.protocol}" in ${url.href}: only http and https are allowed`,
        url.host,
      );
    }
    if (url.username || url.password) {
      throw new OutboundUrlError(`URLs with embedded credentials are not allowed (host ${url.host})`, url.host);
    }
    const verdict = hostVerdict(url.hostname, policy, allowPrivateNetworks);
    if (!verdict.allowed) throw OutboundBlockedError.forAddress(url.hostname, verdict.address, verdict.label);
  }

  /** The URL, parsed and checked against the scheme and address rules before any connection is made. */
  function allowedTarget(url: string | URL): URL {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new OutboundUrlError(`"${String(url)}" is not a valid absolute URL`, '');
    }
    checkTarget(target);
    return target;
  }

  async function fetchOnce(url: string | URL, init: OutboundRequestInit = {}): Promise<OutboundResponse> {
    let current = allowedTarget(url);

    const timeoutMs = init.timeoutMs ?? options.timeoutMs;
    const maxBytes = init.maxBytes ?? defaultMaxBytes;
    const redirectMode = init.redirect ?? 'follow';
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = (): void => controller.abort(init.signal?.reason);
    if (init.signal?.aborted) onCallerAbort();
    init.signal?.addEventListener('abort', onCallerAbort, { once: true });

    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    const headers: Record<string, string> = { 'user-agent': userAgent };
    for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;

    try {
      for (let hop = 0; ; hop++) {
        const res = await agent.request({
          origin: current.origin,
          path: `${current.pathname}${current.search}`,
          method: method as Dispatcher.HttpMethod,
          headers,
          body,
          signal: controller.signal,
        });
        const location = headerValue(res.headers.location);
        if (!REDIRECT_STATUSES.has(res.statusCode) || location === undefined || redirectMode === 'manual') {
          const buf = method === 'HEAD' ? Buffer.alloc(0) : await readCapped(res, maxBytes, current.host);
          return toResponse(res, buf, current, hop > 0);
        }
        discard(res);
        if (redirectMode === 'error') {
          throw new OutboundRedirectError(
            `${current.host} answered with a redirect (${res.statusCode}), which this request does not follow`,
            current.host,
          );
        }
        if (hop >= maxRedirects) {
          throw new OutboundRedirectError(
            `stopped after ${maxRedirects} redirects (last from ${current.host})`,
            current.host,
          );
        }
        let next: URL;
        try {
          next = new URL(location, current);
        } catch {
          throw new OutboundRedirectError(`${current.host} redirected to an invalid URL: ${location}`, current.host);
        }
        checkTarget(next);
        const veto = init.checkRedirect?.(next, current);
        if (veto !== undefined) throw new OutboundRedirectError(veto, current.host);
        if (next.origin !== current.origin) for (const h of ORIGIN_BOUND_HEADERS) delete headers[h];
        // Browsers and Go both turn a 303 (and a POST answered with 301/302) into a body-less GET.
        if (
          (res.statusCode === 303 && method !== 'HEAD') ||
          ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')
        ) {
          method = 'GET';
          body = undefined;
          delete headers['content-type'];
          delete headers['content-length'];
        }
        current = next;
      }
    } catch (err) {
      if (timedOut) throw new OutboundTimeoutError(current.host, timeoutMs);
      if (init.signal?.aborted) throw init.signal.reason;
      throw asOutboundError(err, current.host);
    } finally {
      clearTimeout(timer);
      init.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  async function stream(url: string | URL, init: OutboundRequestInit = {}): Promise<OutboundStream> {
    const target = allowedTarget(url);
    const timeoutMs = init.timeoutMs ?? options.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = (): void => controller.abort(init.signal?.reason);
    if (init.signal?.aborted) onCallerAbort();
    init.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const release = () => {
      clearTimeout(timer);
      init.signal?.removeEventListener('abort', onCallerAbort);
    };
    const failure = (err: unknown): unknown => {
      if (timedOut) return new OutboundTimeoutError(target.host, timeoutMs);
      if (init.signal?.aborted) return init.signal.reason;
      return asOutboundError(err, target.host);
    };
    const headers: Record<string, string> = { 'user-agent': userAgent };
    for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
    let res: Dispatcher.ResponseData;
    try {
      res = await agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: (init.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
        headers,
        body: init.body,
        signal: controller.signal,
      });
    } catch (err) {
      release();
      throw failure(err);
    }
    const head = toResponse(res, Buffer.alloc(0), target, false);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      release();
      discard(res);
    };
    async function* body(): AsyncIterable<Buffer> {
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) yield chunk;
      } catch (err) {
        throw failure(err);
      } finally {
        close();
      }
    }
    return { status: head.status, url: head.url, headers: head.headers, body: body(), close };
  }

  const overAgent = dispatcherFetch(agent);
  const webFetch: FetchFunction = async (url, init) => overAgent(allowedTarget(url), init);

  return {
    allowPrivateNetworks,
    fetch: fetchOnce,
    stream,
    webFetch,
    close: () => agent.close(),
  };
}

async function readCapped(res: Dispatcher.ResponseData, maxBytes: number, host: string): Promise<Buffer> {
  const declared = Number(headerValue(res.headers['content-length']));
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(res);
    throw new OutboundTooLargeError(host, maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      discard(res);
      throw new OutboundTooLargeError(host, maxBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** Drops a body we will not read; undici reports the resulting abort as an 'error' event nobody else listens to. */
function discard(res: Dispatcher.ResponseData): void {
  res.body.on('error', () => {});
  res.body.destroy();
}

function toResponse(res: Dispatcher.ResponseData, body: Buffer, url: URL, redirected: boolean): OutboundResponse {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return {
    status: res.statusCode,
    url: url.href,
    redirected,
    headers,
    body,
    text: () => body.toString('utf8'),
    json: () => JSON.parse(body.toString('utf8')) as unknown,
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** undici may wrap the error our lookup raised; dig it out so callers see the policy decision, not "fetch failed". */
function asOutboundError(err: unknown, host: string): OutboundError {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof OutboundError) return e;
  }
  return new OutboundNetworkError(host, err);
}
