import { OutboundError, OutboundNetworkError, OutboundTimeoutError } from '../../platform/net/index.js';
import type { OutboundClient, OutboundStream } from '../../platform/net/index.js';
import type { InstanceTransport, ProbeResult } from '../model.js';
import { SseParser } from './sse.js';

/**
 * A lean MCP client for health probes, written by hand over the SSRF-guarded outbound client rather than with the
 * SDK: a probe needs to bound every byte and millisecond, to tell "answered HTML" from "closed the connection" from
 * "timed out", and to stop after one exchange, all of which an SDK client hides behind its own retries and errors.
 */
export const MODERN_VERSION = '2026-07-28';
export const LEGACY_VERSION = '2025-11-25';
const CLIENT_INFO = { name: 'wharf-probe', version: '1.0.0' };

export interface ProbeOptions {
  timeoutMs: number;
  /** Cap on the bytes read from any one response. */
  maxBytes?: number;
  /** A passing probe slower than this is reported as `warning`. Default: half the timeout. */
  slowMs?: number;
}

/** A failure the probe can name precisely; `status` says how bad it is. */
class ProbeFailure extends Error {
  constructor(
    message: string,
    readonly status: 'warning' | 'critical' = 'critical',
  ) {
    super(message);
  }
}

interface JsonRpcMessage {
  jsonrpc?: string;
  id?: string | number | null;
  result?: Record<string, unknown>;
  error?: { code?: number; message?: string; data?: unknown };
}

interface Exchange {
  status: number;
  contentType: string;
  headers: Headers;
  message: JsonRpcMessage | undefined;
  /** The start of a body that was not JSON-RPC, for error messages. */
  text: string;
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

export class McpProbe {
  constructor(private readonly client: OutboundClient) {}

  async probe(url: string, transport: InstanceTransport, options: ProbeOptions): Promise<ProbeResult> {
    const started = performance.now();
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const ctx: Ctx = { deadline, timeoutMs: options.timeoutMs, maxBytes: options.maxBytes ?? 1024 * 1024 };
    try {
      const seen = transport === 'sse' ? await this.sse(url, ctx) : await this.streamable(url, ctx);
      const latencyMs = Math.round(performance.now() - started);
      const slowMs = options.slowMs ?? options.timeoutMs / 2;
      const slow = latencyMs > slowMs;
      return {
        ...seen,
        latencyMs,
        status: seen.warning || slow ? 'warning' : 'passing',
        error: seen.warning ?? (slow ? `slow: answered in ${latencyMs} ms (over ${slowMs} ms)` : undefined),
      };
    } catch (error) {
      const latencyMs = Math.round(performance.now() - started);
      if (error instanceof ProbeFailure) return { status: error.status, latencyMs, error: error.message };
      return { status: 'critical', latencyMs, error: describe(error, ctx) };
    }
  }

  // ---- Streamable HTTP: modern first, then the legacy handshake, then the HTTP+SSE fallback

  private async streamable(url: string, ctx: Ctx): Promise<Seen> {
    const discover = await this.post(url, ctx, discoverRequest(1), {
      'mcp-method': 'server/discover',
      'mcp-protocol-version': MODERN_VERSION,
    });
    if (discover.message?.result && Array.isArray(discover.message.result.supportedVersions)) {
      return this.modern(url, ctx, discover.message.result);
    }
    const code = discover.message?.error?.code;
    if (code === -32022) {
      const supported = (discover.message?.error?.data as { supported?: unknown } | undefined)?.supported;
      // Modern, but not our version: fall back to the legacy handshake if it also speaks it, else a warning.
      const legacy = await this.legacy(url, ctx).catch(() => undefined);
      if (legacy) return legacy;
      return {
        era: 'modern',
        warning: `speaks MCP 2026 but not ${MODERN_VERSION} (supports ${JSON.stringify(supported)})`,
      };
    }
    rejectNonMcp(discover, 'server/discover', [400, 404, 405, 406]);
    return this.legacy(url, ctx);
  }

  private async modern(url: string, ctx: Ctx, discover: Record<string, unknown>): Promise<Seen> {
    const versions = discover.supportedVersions as unknown[];
    const info = serverInfoOf(discover);
    const seen: Seen = {
      era: 'modern',
      protocolVersion: versions.includes(MODERN_VERSION) ? MODERN_VERSION : String(versions[0]),
      serverName: info.name,
      serverVersion: info.version,
    };
    const list = await this.post(url, ctx, modernRequest(2, 'tools/list'), {
      'mcp-method': 'tools/list',
      'mcp-protocol-version': MODERN_VERSION,
    });
    const tools = toolNamesOf(list.message);
    if (tools === undefined) seen.warning = `server/discover answered but tools/list failed: ${exchangeProblem(list)}`;
    else seen.toolNames = tools;
    return seen;
  }

  private async legacy(url: string, ctx: Ctx): Promise<Seen> {
    const init = await this.post(url, ctx, initializeRequest(1));
    rejectNonMcp(init, 'initialize', []);
    const result = init.message?.result;
    if (!result || typeof result.protocolVersion !== 'string') {
      if (init.status === 404 || init.status === 405 || init.status === 400) {
        // Perhaps the deprecated HTTP+SSE transport behind the same URL (the spec's compatibility algorithm).
        const sse = await this.sse(url, ctx).catch(() => undefined);
        if (sse) return sse;
      }
      throw new ProbeFailure(`initialize failed: ${exchangeProblem(init)}`);
    }
    const session = init.headers.get('mcp-session-id') ?? undefined;
    const version = result.protocolVersion;
    const info = (result.serverInfo ?? {}) as { name?: unknown; version?: unknown };
    const seen: Seen = {
      era: 'legacy',
      protocolVersion: version,
      serverName: typeof info.name === 'string' ? info.name : undefined,
      serverVersion: typeof info.version === 'string' ? info.version : undefined,
    };
    const headers: Record<string, string> = { 'mcp-protocol-version': version };
    if (session) headers['mcp-session-id'] = session;
    try {
      const ack = await this.post(url, ctx, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers, false);
      if (ack.status >= 400) seen.warning = `notifications/initialized was refused with HTTP ${ack.status}`;
      const list = await this.post(url, ctx, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, headers);
      const tools = toolNamesOf(list.message);
      if (tools === undefined) seen.warning = `initialize answered but tools/list failed: ${exchangeProblem(list)}`;
      else seen.toolNames = tools;
    } finally {
      if (session) await this.endSession(url, ctx, headers);
    }
    return seen;
  }

  private async endSession(url: string, ctx: Ctx, headers: Record<string, string>): Promise<void> {
    try {
      const res = await this.client.stream(url, {
        method: 'DELETE',
        headers,
        signal: ctx.deadline,
        timeoutMs: ctx.timeoutMs,
      });
      res.close();
    } catch {
      // Ending the session is a courtesy; the verdict is already known.
    }
  }

  /** POSTs one JSON-RPC message and reads the answer with the same id, from a JSON body or an SSE stream. */
  private async post(
    url: string,
    ctx: Ctx,
    body: Record<string, unknown>,
    extraHeaders: Record<string, string> = {},
    expectAnswer = true,
  ): Promise<Exchange> {
    const res = await this.client.stream(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...extraHeaders,
      },
      body: JSON.stringify(body),
      signal: ctx.deadline,
      timeoutMs: ctx.timeoutMs,
      redirect: 'manual',
    });
    try {
      return await readExchange(res, ctx, expectAnswer ? (body.id as number) : undefined);
    } finally {
      res.close();
    }
  }

  // ---- deprecated HTTP+SSE (2024-11-05): GET the stream, learn the POST endpoint, talk, read answers on the stream

  private async sse(url: string, ctx: Ctx): Promise<Seen> {
    const stream = await this.client.stream(url, {
      headers: { accept: 'text/event-stream' },
      signal: ctx.deadline,
      timeoutMs: ctx.timeoutMs,
    });
    try {
      const type = stream.headers.get('content-type') ?? '';
      if (stream.status !== 200 || !type.includes('text/event-stream')) {
        const text = await readText(stream, 512);
        throw new ProbeFailure(`GET for the SSE stream ${problemOf(stream.status, type, text)}`);
      }
      const events = eventsOf(stream, ctx);
      const first = await events.next();
      if (first.done || first.value.event !== 'endpoint') {
        throw new ProbeFailure(
          first.done
            ? 'the SSE stream closed before sending its endpoint event'
            : `the SSE stream began with a "${first.value.event}" event, not "endpoint"`,
        );
      }
      const endpoint = new URL(first.value.data.trim(), url);
      if (endpoint.origin !== new URL(url).origin) {
        throw new ProbeFailure(`the SSE endpoint event points to another origin (${endpoint.origin}); not followed`);
      }
      const send = async (message: Record<string, unknown>) => {
        const res = await this.client.fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(message),
          signal: ctx.deadline,
          timeoutMs: ctx.timeoutMs,
          maxBytes: 64 * 1024,
          redirect: 'error',
        });
        if (res.status >= 300) throw new ProbeFailure(`POST ${endpoint.pathname} answered HTTP ${res.status}`);
      };
      const answer = async (id: number): Promise<JsonRpcMessage> => {
        for (;;) {
          const next = await events.next();
          if (next.done) throw new ProbeFailure('the SSE stream closed before the answer arrived');
          if (next.value.event !== 'message') continue;
          const message = parseJson(next.value.data);
          if (message && message.id === id) return message;
        }
      };
      await send(initializeRequest(1));
      const init = await answer(1);
      const result = init.result;
      if (!result || typeof result.protocolVersion !== 'string') {
        throw new ProbeFailure(`initialize failed: ${init.error?.message ?? 'no result'}`);
      }
      const info = (result.serverInfo ?? {}) as { name?: unknown; version?: unknown };
      const seen: Seen = {
        era: 'sse',
        protocolVersion: result.protocolVersion,
        serverName: typeof info.name === 'string' ? info.name : undefined,
        serverVersion: typeof info.version === 'string' ? info.version : undefined,
      };
      await send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      await send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
      const tools = toolNamesOf(await answer(2));
      if (tools === undefined) seen.warning = 'initialize answered but tools/list failed';
      else seen.toolNames = tools;
      return seen;
    } finally {
      stream.close();
    }
  }
}

interface Ctx {
  deadline: AbortSignal;
  timeoutMs: number;
  maxBytes: number;
}

interface Seen {
  era: 'modern' | 'legacy' | 'sse';
  protocolVersion?: string | undefined;
  serverName?: string | undefined;
  serverVersion?: string | undefined;
  toolNames?: string[] | undefined;
  warning?: string | undefined;
}

const discoverRequest = (id: number) => modernRequest(id, 'server/discover');

function modernRequest(id: number, method: string): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    method,
    params: {
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
        'io.modelcontextprotocol/clientCapabilities': {},
        'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
      },
    },
  };
}

function initializeRequest(id: number): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: LEGACY_VERSION, capabilities: {}, clientInfo: CLIENT_INFO },
  };
}

function serverInfoOf(result: Record<string, unknown>): { name?: string; version?: string } {
  const meta = (result._meta ?? {}) as Record<string, unknown>;
  const info = (meta['io.modelcontextprotocol/serverInfo'] ?? result.serverInfo ?? {}) as Record<string, unknown>;
  const out: { name?: string; version?: string } = {};
  if (typeof info.name === 'string') out.name = info.name;
  if (typeof info.version === 'string') out.version = info.version;
  return out;
}

function toolNamesOf(message: JsonRpcMessage | undefined): string[] | undefined {
  const tools = message?.result?.tools;
  if (!Array.isArray(tools)) return undefined;
  return tools.map((t) => (t as { name?: unknown }).name).filter((n): n is string => typeof n === 'string');
}

function parseJson(text: string): JsonRpcMessage | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonRpcMessage) : undefined;
  } catch {
    return undefined;
  }
}

async function* eventsOf(stream: OutboundStream, ctx: Ctx): AsyncGenerator<{ event: string; data: string }> {
  const parser = new SseParser();
  let bytes = 0;
  for await (const chunk of stream.body) {
    bytes += chunk.length;
    if (bytes > ctx.maxBytes)
      throw new ProbeFailure(`the SSE stream sent more than ${ctx.maxBytes} bytes without the answer`);
    for (const event of parser.push(chunk)) yield event;
  }
}

async function readText(stream: OutboundStream, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream.body) {
    chunks.push(chunk);
    total += chunk.length;
    if (total >= max) break;
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/** Reads a Streamable HTTP answer: JSON, or SSE until the message with our id (the stream may stay open). */
async function readExchange(res: OutboundStream, ctx: Ctx, id: number | undefined): Promise<Exchange> {
  const contentType = (res.headers.get('content-type') ?? '').toLowerCase();
  const base = { status: res.status, contentType, headers: res.headers };
  if (id === undefined) return { ...base, message: undefined, text: '' };
  if (contentType.includes('text/event-stream') && res.status < 300) {
    for await (const event of eventsOf(res, ctx)) {
      if (event.event !== 'message') continue;
      const message = parseJson(event.data);
      if (message && message.id === id) return { ...base, message, text: '' };
    }
    throw new ProbeFailure('connection closed: the event stream ended before the answer arrived');
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    total += chunk.length;
    if (total > ctx.maxBytes)
      throw new ProbeFailure(
        `answered more than ${ctx.maxBytes} bytes to a ${id === 1 ? 'handshake' : 'request'}; not MCP`,
      );
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const message = contentType.includes('json') ? parseJson(text) : undefined;
  return { ...base, message, text: text.slice(0, 200) };
}

/** Throws when the exchange shows the endpoint is not MCP at all, or is down, rather than of another era. */
function rejectNonMcp(ex: Exchange, step: string, fallbackStatuses: number[]): void {
  if (ex.contentType.includes('text/html'))
    throw new ProbeFailure(`answered HTML, not MCP (HTTP ${ex.status} to ${step})`);
  if (ex.status === 401 || ex.status === 403) {
    throw new ProbeFailure(
      `requires authorization (HTTP ${ex.status} to ${step}); reachable, but the handshake could not be checked`,
      'warning',
    );
  }
  if (ex.status === 429) throw new ProbeFailure(`rate limited (HTTP 429 to ${step})`, 'warning');
  if (ex.status >= 500) throw new ProbeFailure(`answered HTTP ${ex.status} to ${step}`);
  if (ex.message || fallbackStatuses.includes(ex.status)) return;
  if (ex.status >= 300 && ex.status < 400) {
    throw new ProbeFailure(
      `redirected (HTTP ${ex.status} to ${ex.headers.get('location') ?? '?'}); register the final URL`,
    );
  }
  if (ex.status === 200 || ex.status === 202) {
    throw new ProbeFailure(
      `answered ${ex.contentType || 'an untyped body'}, not MCP JSON-RPC (HTTP ${ex.status} to ${step})`,
    );
  }
}

function exchangeProblem(ex: Exchange): string {
  if (ex.message?.error)
    return `JSON-RPC error ${ex.message.error.code ?? '?'}: ${ex.message.error.message ?? ''}`.trim();
  return problemOf(ex.status, ex.contentType, ex.text);
}

function problemOf(status: number, contentType: string, text: string): string {
  if (contentType.includes('text/html')) return `answered HTML, not MCP (HTTP ${status})`;
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 80);
  return `answered HTTP ${status}${contentType ? ` ${contentType.split(';')[0]}` : ''}${snippet ? `: ${snippet}` : ''}`;
}

function describe(error: unknown, ctx: Ctx): string {
  if (error instanceof OutboundTimeoutError || (error instanceof Error && error.name === 'TimeoutError')) {
    return `timed out after ${seconds(ctx.timeoutMs)}`;
  }
  if (ctx.deadline.aborted) return `timed out after ${seconds(ctx.timeoutMs)}`;
  if (error instanceof OutboundNetworkError) {
    const text = `${error.message} ${causeCodes(error)}`;
    if (/ECONNREFUSED/.test(text)) return 'connection refused: nothing listens there';
    if (/ENOTFOUND|EAI_AGAIN/.test(text)) return `host ${error.host} does not resolve`;
    if (/closed|ECONNRESET|UND_ERR_SOCKET|EPIPE|terminated/i.test(text))
      return 'connection closed by the server before it answered';
    if (/certificate|TLS|SSL/i.test(text)) return `TLS failure: ${error.message}`;
    return error.message;
  }
  if (error instanceof OutboundError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

function causeCodes(error: unknown): string {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code) codes.push(code);
    codes.push(e.message);
  }
  return codes.join(' ');
}
