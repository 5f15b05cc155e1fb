/**
 * Input requests across the gateway (docs/gateway.md#era-translation): an upstream that needs the client's input
 * during a call (a 2025-11-25 upstream's `elicitation/create`, `sampling/createMessage` or `roots/list`; a 2026-07-28
 * upstream's `input_required` result) reaches the downstream client of that call, in whichever era it speaks:
 *
 * - 2025 client: the request is relayed live on the call's own stream (McpClientInput.ask) and its answer returned;
 *   a modern upstream's `input_required` rounds are driven by the SDK client's auto-fulfilment, whose requests
 *   arrive at the same handlers.
 * - 2026 client, modern upstream: `input_required` and the retry pass through (the upstream guards its state).
 * - 2026 client, legacy upstream: the upstream's request becomes an `input_required` result; the retry re-issues the
 *   call and answers the upstream's requests from the recorded answers (replay), with the answers sealed in the
 *   `requestState`, so any replica can serve the retry.
 *
 * The pooled upstream connection is shared by every downstream call, so a request is routed to its call through
 * AsyncLocalStorage: the call runs inside `inputScope`, and a request arriving on that call's response stream
 * inherits it. A request on the connection's own stream (an upstream that does not relate the request to the call)
 * goes to the one call in flight on that connection; with several in flight it cannot be told apart and is refused.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/client';
import type { CallToolResult, Client, ClientCapabilities, InputRequiredResult } from '@modelcontextprotocol/client';
import type { McpCallContext } from '../mcp/provider.js';
import { notSupported } from '../mcp/input-required.js';
import type { InputMethod, McpClientInput, SealedCall } from '../mcp/input-required.js';
import type { UpstreamConnection } from './upstream.js';

type Params = Record<string, unknown> | undefined;
type Answer = Record<string, unknown>;

/** What the pooled connection declares: everything a downstream client may offer (checked per call). */
export const GATEWAY_CLIENT_CAPABILITIES: ClientCapabilities = {
  elicitation: { form: {}, url: {} },
  sampling: { tools: {} },
  roots: {},
};

/** Most answered rounds a replayed call keeps in its state (the SDK client's own auto-fulfilment cap is 10). */
const MAX_REPLAY_ROUNDS = 8;
/** How long an upstream may take to finish a leg after its input request was refused, before it is cancelled. */
const REPLAY_GRACE_MS = 1000;

/** The call an upstream request belongs to: answers it, or refuses it (not supported, ambiguous). */
interface CallInput {
  answer(method: InputMethod, params: Params, signal: AbortSignal): Promise<Answer>;
}

const inputScope = new AsyncLocalStorage<CallInput>();
const inFlight = new WeakMap<object, Set<CallInput>>();

/** Runs `work` outside any call, so that streams it opens (the connection's own) never inherit a call. */
export function outsideAnyCall<T>(work: () => T): T {
  return inputScope.exit(work);
}

/** Registers the input-request handlers on a pooled connection's client (`owner` keys its calls in flight). */
export function installInputHandlers(client: Client, owner: object): void {
  const route = (method: InputMethod, params: Params, signal: AbortSignal): Promise<Answer> => {
    let call = inputScope.getStore();
    if (!call) {
      const calls = inFlight.get(owner);
      if (calls?.size === 1) [call] = calls;
      else if (calls && calls.size > 1) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          `${method} is not related to a request, and several calls are in flight: send it on the call's own stream`,
        );
      }
    }
    if (!call) throw notSupported(method);
    return call.answer(method, params, signal);
  };
  // The downstream client's answers are passed on as they are: the SDK client validates each before it answers.
  client.setRequestHandler(
    'elicitation/create',
    (request, ctx) => route('elicitation/create', request.params as Params, ctx.mcpReq.signal) as Promise<never>,
  );
  client.setRequestHandler(
    'sampling/createMessage',
    (request, ctx) => route('sampling/createMessage', request.params as Params, ctx.mcpReq.signal) as Promise<never>,
  );
  client.setRequestHandler(
    'roots/list',
    (request, ctx) => route('roots/list', request.params as Params, ctx.mcpReq.signal) as Promise<never>,
  );
}

async function within<T>(owner: object, call: CallInput, work: () => Promise<T>): Promise<T> {
  let calls = inFlight.get(owner);
  if (!calls) inFlight.set(owner, (calls = new Set()));
  calls.add(call);
  try {
    return await inputScope.run(call, work);
  } finally {
    calls.delete(call);
  }
}

/** A call whose client answers live (2025 session on this process), or cannot answer at all. */
function liveCall(input: McpClientInput | undefined, callSignal: AbortSignal): CallInput {
  return {
    answer: (method, params, signal) => {
      if (!input?.ask || !input.supports(method, params)) throw notSupported(method);
      return input.ask(method, params, AbortSignal.any([signal, callSignal]));
    },
  };
}

/**
 * Calls an upstream tool with the input requests it makes routed to the downstream client (see the file comment).
 * `downstreamName` binds a replay state to the tool it was issued for.
 */
export async function callWithInput(
  upstream: UpstreamConnection,
  upstreamName: string,
  downstreamName: string,
  args: Record<string, unknown> | undefined,
  context: McpCallContext,
): Promise<CallToolResult | InputRequiredResult> {
  const input = context.input;
  await upstream.ready();
  const modernUpstream = upstream.protocolEra() === 'modern';
  if (input?.era !== 'modern') {
    // A 2025 client (or none): live relay; the SDK client drives a modern upstream's rounds through the handlers.
    // A question still open when the call ends (timed out, upstream gone) is abandoned with it.
    const ended = new AbortController();
    try {
      return await within(upstream, liveCall(input, AbortSignal.any([context.signal, ended.signal])), () =>
        upstream.callTool(upstreamName, args, context.signal, context.progress, undefined, context.log),
      );
    } finally {
      ended.abort(new Error('the call ended'));
    }
  }
  const state = input.requestState;
  if (modernUpstream) {
    if (state !== undefined && typeof state !== 'string') throw staleState('a call of another upstream');
    return upstream.callTool(
      upstreamName,
      args,
      context.signal,
      context.progress,
      {
        manual: true,
        ...(input.inputResponses !== undefined && { inputResponses: input.inputResponses }),
        ...(state !== undefined && { requestState: state }),
      },
      context.log,
    );
  }
  return replay(upstream, upstreamName, downstreamName, args, context, input);
}

/** 2026 client, 2025 upstream: answer from the recorded rounds; a new request ends this leg with `input_required`. */
async function replay(
  upstream: UpstreamConnection,
  upstreamName: string,
  downstreamName: string,
  args: Record<string, unknown> | undefined,
  context: McpCallContext,
  input: McpClientInput,
): Promise<CallToolResult | InputRequiredResult> {
  const argumentsDigest = digest(args);
  const answers: SealedCall['answers'] = [];
  const state = input.requestState;
  if (typeof state === 'string') throw staleState('not issued by this gateway');
  if (state !== undefined) {
    const sealed = state as SealedCall;
    if (sealed.tool !== downstreamName || sealed.argumentsDigest !== argumentsDigest) {
      throw staleState('issued for another call');
    }
    answers.push(...sealed.answers);
    const key = `r${sealed.answers.length}`;
    const answer = input.inputResponses?.[key];
    if (answer === null || typeof answer !== 'object') {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `inputResponses must answer "${key}"`);
    }
    answers.push({ method: sealed.asked.method, result: answer as Answer });
  }
  const stop = new AbortController();
  let grace: NodeJS.Timeout | undefined;
  let asked: SealedCall['asked'] | undefined;
  let next = 0;
  const call: CallInput = {
    answer: (method, params) => {
      const recorded = answers[next];
      if (recorded?.method === method) {
        next++;
        return Promise.resolve(recorded.result);
      }
      // The upstream asks something new (or not what it asked before): the recorded rounds from here are void.
      answers.length = next;
      if (!input.supports(method, params)) throw notSupported(method);
      if (answers.length >= MAX_REPLAY_ROUNDS) {
        throw new ProtocolError(ProtocolErrorCode.InternalError, `more than ${MAX_REPLAY_ROUNDS} input rounds`);
      }
      asked ??= { method, ...(params !== undefined && { params }) };
      // This leg ends here: the client answers in its retry, which re-issues the call. The upstream learns it from
      // the error and normally finishes at once (its response closes its stream); one that does not is cancelled.
      grace ??= setTimeout(() => stop.abort(new Error('input required from the client')), REPLAY_GRACE_MS);
      throw new ProtocolError(
        ProtocolErrorCode.InternalError,
        'the gateway is collecting this input from its client; the call will be re-issued',
      );
    },
  };
  const signal = AbortSignal.any([context.signal, stop.signal]);
  let result: CallToolResult | InputRequiredResult;
  try {
    result = await within(upstream, call, () =>
      upstream.callTool(upstreamName, args, signal, context.progress, undefined, context.log),
    );
  } catch (error) {
    if (!asked || context.signal.aborted) throw error;
    result = { content: [] };
  } finally {
    clearTimeout(grace);
  }
  if (!asked || !input.seal) return result;
  const sealed: SealedCall = { tool: downstreamName, argumentsDigest, answers, asked };
  return {
    resultType: 'input_required',
    inputRequests: { [`r${answers.length}`]: asked },
    requestState: input.seal(sealed),
  } as InputRequiredResult;
}

function staleState(why: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid requestState: ${why}`);
}

function digest(args: Record<string, unknown> | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify(args ?? {}))
    .digest('base64url');
}
