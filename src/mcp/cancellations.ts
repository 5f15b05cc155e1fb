/**
 * Legacy (2025-era) cancellation for calls in flight on this process. A 2025 client cancels with a separate POST
 * (`notifications/cancelled` naming the request id) that the stateless serving cannot route to the call it names, so
 * calls that want to be cancellable register here by (session id, request id) and the host aborts them when the
 * notification arrives. A 2026-07-28 client cancels by closing the response stream, which the SDK already maps to
 * the call's signal. Only calls on the process that receives the notification can be reached.
 */
import type { McpCallContext } from './provider.js';

type RequestId = string | number;

export class LegacyCancellations {
  private readonly inFlight = new Map<string, AbortController>();

  /** Makes `context.signal` also fire on a matching cancellation; call the returned function when the call ends. */
  watch(session: string, id: RequestId, context: McpCallContext): () => void {
    const key = keyOf(session, id);
    const controller = new AbortController();
    this.inFlight.set(key, controller);
    context.signal = AbortSignal.any([context.signal, controller.signal]);
    return () => {
      if (this.inFlight.get(key) === controller) this.inFlight.delete(key);
    };
  }

  /** Handles an accepted 2025-era message: aborts the call a `notifications/cancelled` names, if it runs here. */
  notified(session: string, body: unknown): void {
    const message = body as { method?: unknown; params?: { requestId?: unknown; reason?: unknown } } | null;
    if (message?.method !== 'notifications/cancelled') return;
    const requestId = message.params?.requestId;
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    const key = keyOf(session, requestId);
    const controller = this.inFlight.get(key);
    if (!controller) return;
    this.inFlight.delete(key);
    const reason = typeof message.params?.reason === 'string' ? message.params.reason : 'cancelled by the client';
    controller.abort(new Error(reason));
  }
}

function keyOf(session: string, id: RequestId): string {
  return `${session}\n${typeof id}:${id}`;
}
