/**
 * A WHATWG-shaped `fetch` over undici's `request`, for MCP clients that call the same upstream many times a second.
 *
 * Why not undici's own fetch: per call it builds a Request, turns the body into a stream that is written in separate
 * chunks (one syscall each), and hooks an abort listener onto the caller's signal that stays until garbage
 * collection. The MCP SDK transports pass one long-lived signal to every request, so those listeners pile up by the
 * thousand (Node then warns on every call, which is itself costly). `request` writes head and body together and
 * unhooks its listener when the exchange ends (part of the gateway's 0.22× → 0.35× in docs/performance.md).
 *
 * Redirects are returned as they are (the MCP SDK follows same-origin ones itself). Bodies other than strings and
 * bytes (forms, streams) go through undici's fetch unchanged.
 */
import { Readable } from 'node:stream';
import { fetch as undiciFetch, request } from 'undici';
import type { Dispatcher } from 'undici';

export type FetchFunction = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** Statuses whose responses never carry a body (Fetch standard "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export function dispatcherFetch(dispatcher: Dispatcher): FetchFunction {
  return async (url, init = {}) => {
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      // undici's fetch and the global one share the WHATWG shapes; only the dispatcher option is undici's own.
      return undiciFetch(url, { ...(init as object), dispatcher }) as unknown as Promise<Response>;
    }
    const method = (init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    let answer: Dispatcher.ResponseData;
    try {
      answer = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body: body ?? null,
        dispatcher,
        signal: init.signal ?? null,
      });
    } catch (error) {
      if (init.signal?.aborted) throw init.signal.reason ?? error;
      // What fetch throws for a network failure, with the real cause attached.
      throw new TypeError('fetch failed', { cause: error });
    }
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) responseHeaders.append(name, item);
    }
    if (NULL_BODY.has(answer.statusCode) || method === 'HEAD') {
      await answer.body.dump();
      return new Response(null, { status: answer.statusCode, headers: responseHeaders });
    }
    return new Response(Readable.toWeb(answer.body) as ReadableStream<Uint8Array>, {
      status: answer.statusCode,
      headers: responseHeaders,
    });
  };
}
