/**
 * Upstream log messages, routed to the downstream request they belong to.
 *
 * The pooled upstream connection is shared by every downstream client, and the SDK client hands notifications to
 * one connection-wide handler that does not say which request they came with. But on Streamable HTTP an upstream
 * sends a call's `notifications/message` on that call's own POST response stream. So a call whose client wants logs
 * marks its POST with a one-off header (removed here, never sent upstream), and this fetch wrapper reads the
 * messages off that response stream as it passes through to the SDK unchanged; they go to that call's sink only.
 * Calls without the header cost one header lookup. (The deprecated `sse` transport answers on one shared stream,
 * so calls to such upstreams get no logs.)
 */
import { randomUUID } from 'node:crypto';
import type { FetchLike } from '@modelcontextprotocol/client';
import type { McpLogMessage } from '../mcp/provider.js';

/** Marks a POST whose response stream carries logs for a sink; stripped before the request leaves. */
const TAP_HEADER = 'x-wharf-log-tap';

export type LogSink = (message: McpLogMessage) => void;

export class UpstreamLogTap {
  private readonly sinks = new Map<string, LogSink>();

  constructor(private readonly inner: FetchLike) {}

  /** The fetch to give the upstream transport. */
  readonly fetch: FetchLike = async (url, init) => {
    const token = headerOf(init?.headers, TAP_HEADER);
    if (token === null) return this.inner(url, init);
    const headers = new Headers(init?.headers);
    headers.delete(TAP_HEADER);
    const response = await this.inner(url, { ...init, headers });
    const sink = this.sinks.get(token);
    const type = response.headers.get('content-type') ?? '';
    if (!sink || !response.ok || response.body === null || !type.toLowerCase().startsWith('text/event-stream')) {
      return response;
    }
    return new Response(response.body.pipeThrough(logSniffer(sink)), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };

  /** Registers a sink for one call: pass `headers` with the upstream request, call `close` when it is over. */
  open(sink: LogSink): { headers: Record<string, string>; close(): void } {
    const token = randomUUID();
    this.sinks.set(token, sink);
    return { headers: { [TAP_HEADER]: token }, close: () => this.sinks.delete(token) };
  }
}

function headerOf(headers: RequestInit['headers'], name: string): string | null {
  if (headers === undefined) return null;
  if (headers instanceof Headers) return headers.get(name);
  if (Array.isArray(headers)) return headers.find(([key]) => key?.toLowerCase() === name)?.[1] ?? null;
  const record = headers as Record<string, string>;
  return record[name] ?? null;
}

/**
 * Passes an SSE byte stream through untouched while reading its `message` events and handing every
 * `notifications/message` to `sink`. A hand-written reader of the two SSE fields needed (`event`, `data`): the
 * SDK's parser is not exported, and this is the whole of what the format asks for here.
 */
export function logSniffer(sink: LogSink): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  const dispatch = () => {
    if (data.length > 0 && (event === '' || event === 'message')) deliver(data.join('\n'), sink);
    event = '';
    data = [];
  };
  const feed = (text: string, final: boolean) => {
    buffer += text;
    const lines = buffer.split(/\r\n|\r|\n/);
    // The last piece may be a line still arriving.
    buffer = final ? '' : (lines.pop() ?? '');
    for (const line of lines) {
      if (line === '') dispatch();
      else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      else if (line.startsWith('event:')) event = line.slice(6).trim();
    }
  };
  return new TransformStream({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      feed(decoder.decode(chunk, { stream: true }), false);
    },
    flush() {
      feed(decoder.decode(), true);
      dispatch();
    },
  });
}

function deliver(json: string, sink: LogSink): void {
  let message: unknown;
  try {
    message = JSON.parse(json);
  } catch {
    return;
  }
  const { method, params } = message as { method?: unknown; params?: Record<string, unknown> };
  if (method !== 'notifications/message' || typeof params !== 'object' || params === null) return;
  const { level, logger, data } = params;
  if (typeof level !== 'string') return;
  sink({ level, ...(typeof logger === 'string' && { logger }), data });
}
