/**
 * Input a tool needs from the downstream client while it runs (elicitation, sampling, roots), in both eras.
 *
 * 2025-11-25 clients receive server-to-client requests on the call's own response stream and answer them with a
 * separate POST; the host serves every POST statelessly (a fresh SDK server per request), so the answer cannot reach
 * the server that asked. `LegacyClientRequests` closes that gap the way cancellations.ts does for cancellations: a
 * request sent here waits under (session id, request id) and the host hands it the answer when the POST arrives.
 * Only calls running on the process that receives the answer can be reached (like the GET stream).
 *
 * 2026-07-28 clients get `input_required` results and retry the call with `inputResponses` and the `requestState`
 * echoed; `RequestStates` seals what the host needs to resume such a call (AES-256-GCM under a key derived once from
 * the session key, so every replica opens what any replica sealed), bound to the caller and with an expiry.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { CLIENT_CAPABILITIES_META_KEY, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { ClientCapabilities, ServerContext, Transport } from '@modelcontextprotocol/server';

/** The server-to-client requests a tool may need answered (the MRTR input request kinds). */
export const INPUT_METHODS = ['elicitation/create', 'sampling/createMessage', 'roots/list'] as const;
export type InputMethod = (typeof INPUT_METHODS)[number];

export function isInputMethod(method: string): method is InputMethod {
  return (INPUT_METHODS as readonly string[]).includes(method);
}

type Params = Record<string, unknown> | undefined;

/**
 * What a tool learns about the downstream client's ability to give input. `ask` is present for a 2025-11-25 client
 * with a session on this process; `inputResponses` and `requestState` for a 2026-07-28 client's retry.
 */
export interface McpClientInput {
  era: 'modern' | 'legacy';
  /** Whether the client declared what this request needs (elicitation mode, sampling with tools, roots). */
  supports(method: string, params?: Params): boolean;
  /** Sends the request to the client on the call's own stream and resolves with its answer (legacy clients). */
  ask?: ((method: InputMethod, params: Params, signal: AbortSignal) => Promise<Record<string, unknown>>) | undefined;
  /** A retried call's answers, by the keys of the `inputRequests` they answer (modern clients). */
  inputResponses?: Record<string, unknown> | undefined;
  /** The retried call's `requestState`: what `RequestStates.open` made of it, or the raw string (not the host's). */
  requestState?: unknown;
  /** Seals the state of a call the host resumes by replay, bound to this caller (modern clients). */
  seal?: ((call: SealedCall) => string) | undefined;
}

/** The relevant part of a client's capabilities (what a session id carries for a 2025-era client). */
export function inputCapabilities(capabilities: unknown): ClientCapabilities | undefined {
  if (capabilities === null || typeof capabilities !== 'object') return undefined;
  const { elicitation, sampling, roots } = capabilities as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (isObject(elicitation)) out.elicitation = pick(elicitation, ['form', 'url']);
  if (isObject(sampling)) out.sampling = pick(sampling, ['tools', 'context']);
  if (isObject(roots)) out.roots = {};
  return Object.keys(out).length > 0 ? (out as ClientCapabilities) : undefined;
}

/**
 * Whether declared capabilities cover a request: URL-mode elicitation needs `elicitation.url`, form mode
 * `elicitation.form` (a bare `elicitation: {}` means form, as in 2025); sampling with tools needs `sampling.tools`.
 */
export function declares(capabilities: ClientCapabilities | undefined, method: string, params?: Params): boolean {
  const caps = capabilities as Record<string, unknown> | undefined;
  switch (method) {
    case 'elicitation/create': {
      const elicitation = caps?.elicitation;
      if (!isObject(elicitation)) return false;
      if (params?.mode === 'url') return isObject(elicitation.url);
      return isObject(elicitation.form) || !isObject(elicitation.url);
    }
    case 'sampling/createMessage': {
      const sampling = caps?.sampling;
      if (!isObject(sampling)) return false;
      return params?.tools === undefined && params?.toolChoice === undefined ? true : isObject(sampling.tools);
    }
    case 'roots/list':
      return isObject(caps?.roots);
    default:
      return false;
  }
}

/** The capabilities a 2026-07-28 request declares in its `_meta` envelope. */
export function envelopeCapabilities(ctx: ServerContext): ClientCapabilities | undefined {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const declared = envelope?.[CLIENT_CAPABILITIES_META_KEY];
  return isObject(declared) ? (declared as ClientCapabilities) : undefined;
}

/** The error a client without the capability answers with (what the SDK answers for an unhandled method). */
export function notSupported(method: string): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.MethodNotFound,
    `The client did not declare the capability ${method} needs, so it cannot answer it`,
  );
}

interface Waiting {
  resolve(result: Record<string, unknown>): void;
  reject(error: Error): void;
}

/** Server-to-client requests sent to 2025-era clients from this process, awaiting the POST that answers them. */
export class LegacyClientRequests {
  private readonly waiting = new Map<string, Waiting>();

  /** Sends `method` on the stream of request `relatedRequestId` and waits for the client's answer (or `signal`). */
  ask(
    transport: Transport | undefined,
    relatedRequestId: string | number,
    session: string,
    method: InputMethod,
    params: Params,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    if (!transport) return Promise.reject(new Error('the client connection is gone'));
    // Our own ids, unique per process: the per-request SDK servers would all start counting at 0 within a session.
    const id = `wharf-${randomUUID()}`;
    const key = keyOf(session, id);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const finish = () => {
        this.waiting.delete(key);
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        finish();
        reject(signal.reason instanceof Error ? signal.reason : new Error('the call was cancelled'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(key, {
        resolve: (result) => {
          finish();
          resolve(result);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      });
      transport
        .send({ jsonrpc: '2.0', id, method, ...(params !== undefined && { params }) }, { relatedRequestId })
        .catch((error: unknown) => {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  }

  /** Handles an accepted 2025-era POST: hands the responses it carries to the requests waiting for them here. */
  answered(session: string, body: unknown): void {
    if (this.waiting.size === 0) return;
    for (const message of Array.isArray(body) ? (body as unknown[]) : [body]) {
      if (!isObject(message) || typeof message.id !== 'string' || 'method' in message) continue;
      const waiting = this.waiting.get(keyOf(session, message.id));
      if (!waiting) continue;
      if (isObject(message.result)) waiting.resolve(message.result);
      else {
        const error = isObject(message.error) ? message.error : {};
        waiting.reject(
          new ProtocolError(
            typeof error.code === 'number' ? error.code : ProtocolErrorCode.InternalError,
            typeof error.message === 'string' ? error.message : 'the client answered with an error',
            error.data,
          ),
        );
      }
    }
  }
}

/** What the host keeps across the rounds of a 2026-07-28 call it resumes by replay (see the gateway). */
export interface SealedCall {
  /** The downstream tool and a digest of its arguments: a state only resumes the call it was issued for. */
  tool: string;
  argumentsDigest: string;
  /** The answers of the earlier rounds, in the order the upstream asked. */
  answers: { method: string; result: Record<string, unknown> }[];
  /** The request this round asked the client (its key is `r<answers.length>`). */
  asked: { method: string; params?: Record<string, unknown> | undefined };
}

const STATE_PREFIX = 'wharf1.';
const STATE_AAD = Buffer.from('wharf mcp requestState v1');
const DEFAULT_STATE_TTL_MS = 10 * 60 * 1000;

/** Sealing and opening of the `requestState` the host issues (AES-256-GCM; principal, expiry and call bound). */
export class RequestStates {
  private readonly key: Buffer;
  private readonly ttlMs: number;
  private readonly now: () => number;

  /** `key`: 32 bytes, derived once from the session key (LegacySessions.deriveKey), the same on every replica. */
  constructor(key: Buffer, options: { ttlMs?: number; now?: () => number } = {}) {
    if (key.length !== 32) throw new Error('the request state key must be 32 bytes');
    this.key = key;
    this.ttlMs = options.ttlMs ?? DEFAULT_STATE_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Whether a state string claims to be one of the host's (the rest belong to upstreams and pass through). */
  static isOwn(state: string): boolean {
    return state.startsWith(STATE_PREFIX);
  }

  seal(call: SealedCall, subject: string | null): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(STATE_AAD);
    const plain = Buffer.from(JSON.stringify({ s: subject, e: this.now() + this.ttlMs, c: call }));
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return STATE_PREFIX + sealed.toString('base64url');
  }

  /** The call a state resumes; throws (the SDK answers −32602) when it is forged, expired or someone else's. */
  open(state: string, subject: string | null): SealedCall {
    if (!RequestStates.isOwn(state)) throw new Error('malformed');
    const raw = Buffer.from(state.slice(STATE_PREFIX.length), 'base64url');
    if (raw.length < 12 + 16 + 2) throw new Error('malformed');
    let claims: { s?: unknown; e?: unknown; c?: unknown };
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAAD(STATE_AAD);
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
      claims = JSON.parse(plain.toString('utf8')) as typeof claims;
    } catch {
      throw new Error('mac');
    }
    if (typeof claims.e !== 'number' || claims.e <= this.now()) throw new Error('expired');
    if (claims.s !== subject) throw new Error('bind');
    if (!isObject(claims.c)) throw new Error('malformed');
    return claims.c as unknown as SealedCall;
  }
}

function keyOf(session: string, id: string): string {
  return `${session}\n${id}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function pick(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => isObject(value[key])).map((key) => [key, {}]));
}
