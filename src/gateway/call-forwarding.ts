/**
 * Call forwarding: a modern `tools/call` routed to a 2026-07-28 upstream is forwarded as the JSON-RPC message it
 * is — only the tool name changes — and the upstream's answer (JSON, or an SSE stream carrying progress before the
 * result) goes back as it comes. Both eras being stateless and the client's id, `_meta` envelope and progress token
 * being forwarded unchanged, nothing has to be translated, so no SDK server or client is built per call (they cost
 * most of the gateway's time per call). The same rules as the SDK path apply: who may see and call the tool, rate
 * limits, the audit record, the call timeout and the circuit breaker; the client's token is never forwarded.
 */
import type { Principal } from '../auth/authenticator.js';
import { MODERN_REVISION } from '../mcp/forwarding.js';
import type { ForwardableToolCall, ToolCallMessage } from '../mcp/forwarding.js';
import { toolError, toolErrorText } from '../mcp/host.js';
import { WharfError } from '../platform/errors.js';
import { OutboundTimeoutError } from '../platform/net/errors.js';
import type { OutboundClient, OutboundStream } from '../platform/net/outbound.js';
import type { GatewayAccess, GatewayCall, GatewayOutcome } from './access.js';
import type { UpstreamConnection } from './upstream.js';

/** The upstream behind a downstream tool name, for a caller allowed to call it there. */
export interface RoutedTool {
  upstream: UpstreamConnection;
  /** The tool's name at the upstream. */
  name: string;
  /** Tools declaring `x-mcp-header` parameters need the SDK's header checks: never forwarded. */
  declaresHeaders: boolean;
}

export interface CallForwardingOptions {
  route(name: string, principal: Principal | null, virtualServer: string | undefined): RoutedTool | undefined;
  access: GatewayAccess;
  /** The SSRF-guarded client of the upstream connections. */
  http: OutboundClient;
}

const JSON_TYPE = 'application/json';

export class CallForwarding {
  constructor(private readonly options: CallForwardingOptions) {}

  /** Answers the call, or undefined when it is not for forwarding (the SDK path serves it). */
  async forward(call: ForwardableToolCall): Promise<Response | undefined> {
    const { message } = call;
    const routed = this.options.route(message.params.name, call.principal, call.virtualServer);
    if (!routed || routed.declaresHeaders) return undefined;
    const target = routed.upstream.forwardTarget();
    if (!target) return undefined;

    const { access } = this.options;
    const args = message.params.arguments;
    const record: GatewayCall = {
      principal: call.principal,
      virtualServer: call.virtualServer,
      upstream: routed.upstream.alias,
      tool: message.params.name,
      argumentBytes: args === undefined ? 0 : Buffer.byteLength(JSON.stringify(args)),
      argumentKeys: args === undefined ? undefined : Object.keys(args),
      clientAddress: call.address,
    };
    const started = performance.now();
    const finish = (outcome: GatewayOutcome, error?: string) =>
      access.record({ ...record, outcome, latencyMs: performance.now() - started, error });

    try {
      await access.admit(record);
    } catch (refusal) {
      if (!(refusal instanceof WharfError)) throw refusal;
      finish(refusal.status === 429 ? 'rate_limited' : 'denied', refusal.message);
      const result = toolError(toolErrorText(refusal));
      // Retry information a client (or the model) can act on, without parsing the text.
      const retryAfter = (refusal as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retryAfter !== undefined) result._meta = { 'dev.wharf/retryAfterSeconds': retryAfter };
      return resultResponse(message, result);
    }

    // The call timeout bounds the whole exchange, streamed answers included; a client that goes away cancels it
    // (the modern rule: closing the stream is the cancellation, which the upstream then sees too).
    const signal = call.request.signal;
    const failed = (error: unknown) => {
      if (signal.aborted) {
        finish('error', 'the client closed the request');
        return new Response(null, { status: 499 });
      }
      const reason = error instanceof Error ? error.message : String(error);
      const failure = routed.upstream.callFailed(reason, error instanceof OutboundTimeoutError);
      finish(error instanceof OutboundTimeoutError ? 'timeout' : 'unavailable', failure.message);
      return resultResponse(message, toolError(failure.message));
    };

    let upstream: OutboundStream;
    try {
      upstream = await this.options.http.stream(target.url, {
        method: 'POST',
        headers: {
          ...target.headers,
          'content-type': JSON_TYPE,
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': MODERN_REVISION,
          'mcp-method': 'tools/call',
          'mcp-name': routed.name,
        },
        body: JSON.stringify({ ...message, params: { ...message.params, name: routed.name } }),
        timeoutMs: target.callMs,
        signal,
      });
    } catch (error) {
      return failed(error);
    }

    const type = upstream.headers.get('content-type') ?? '';
    if (upstream.status === 200 && type.startsWith('text/event-stream')) {
      routed.upstream.callSucceeded();
      const watcher = outcomeWatcher(message.id, finish);
      return new Response(ReadableStream.from(watched(upstream, watcher, signal)).pipeThrough(watcher.stream), {
        status: 200,
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
      });
    }
    let text: string;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of upstream.body) chunks.push(chunk);
      text = Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      return failed(error);
    }
    const answer = upstream.status < 500 && type.startsWith(JSON_TYPE) ? parseAnswer(text, message.id) : undefined;
    if (!answer) return failed(new Error(`HTTP ${upstream.status} from the upstream`));
    routed.upstream.callSucceeded();
    finish(answer.outcome, answer.error);
    // A JSON-RPC error (unknown tool, invalid arguments) is the caller's: it goes back as the upstream gave it.
    return new Response(text, { status: upstream.status, headers: { 'content-type': JSON_TYPE } });
  }
}

/** The upstream's SSE body; an exchange cut short (timeout, client gone, upstream gone) is audited as such. */
async function* watched(
  upstream: OutboundStream,
  watcher: ReturnType<typeof outcomeWatcher>,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of upstream.body) yield chunk;
  } catch (error) {
    watcher.abandon(error instanceof OutboundTimeoutError ? 'timeout' : 'the upstream stream failed');
    throw error;
  } finally {
    upstream.close();
    if (signal.aborted) watcher.abandon('the client closed the stream');
  }
}

interface Answer {
  outcome: GatewayOutcome;
  error?: string | undefined;
}

/** The outcome of the upstream's JSON-RPC response to `id`, or undefined when the text is not one. */
function parseAnswer(text: string, id: string | number): Answer | undefined {
  let message: { id?: unknown; result?: { isError?: unknown }; error?: { message?: unknown } };
  try {
    message = JSON.parse(text) as typeof message;
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null || message.id !== id) return undefined;
  if (message.error) return { outcome: 'error', error: String(message.error.message ?? 'JSON-RPC error') };
  if (message.result === undefined) return undefined;
  return message.result.isError === true ? { outcome: 'tool_error' } : { outcome: 'success' };
}

/**
 * Passes an SSE stream through untouched while reading it for the response to `id`, so the call is audited with
 * its outcome once the stream ends (or `error` when it ends without one: the upstream or the client went away).
 */
function outcomeWatcher(id: string | number, done: (outcome: GatewayOutcome, error?: string) => void) {
  const decoder = new TextDecoder();
  let pending = '';
  let answer: Answer | undefined;
  let reported = false;
  const report = (outcome: GatewayOutcome, error?: string) => {
    if (reported) return;
    reported = true;
    done(outcome, error);
  };
  const scan = (text: string) => {
    pending += text;
    let end: number;
    while ((end = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, end).replace(/\r$/, '');
      pending = pending.slice(end + 1);
      if (line.startsWith('data:')) answer = parseAnswer(line.slice(5).trim(), id) ?? answer;
    }
  };
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      if (!answer) scan(decoder.decode(chunk, { stream: true }));
    },
    flush() {
      report(answer?.outcome ?? 'error', answer ? answer.error : 'the stream ended without a response');
    },
  });
  return {
    stream,
    /** The exchange was aborted: the response, if it came, still decides the outcome. */
    abandon(reason: 'timeout' | string) {
      if (answer) report(answer.outcome, answer.error);
      else report(reason === 'timeout' ? 'timeout' : 'error', reason);
    },
  };
}

function resultResponse(message: ToolCallMessage, result: object): Response {
  return Response.json(
    { jsonrpc: '2.0', id: message.id, result: { ...result, resultType: 'complete' } },
    { status: 200, headers: { 'content-type': JSON_TYPE } },
  );
}
