/**
 * `completion/complete` through the gateway: a prompt reference names a downstream prompt (`alias__name`), a
 * resource reference a downstream URI or template (`alias+…`); either is mapped back to its upstream and original
 * name, asked there, and the values come back capped at 100.
 */
import type { CompleteRequest, CompleteResult } from '@modelcontextprotocol/client';
import { capped } from '../mcp/completion.js';
import type { UpstreamConnection } from './upstream.js';

type CompleteParams = CompleteRequest['params'];

export interface CompletionRoutes {
  /** The upstream and original name behind a downstream prompt name. */
  prompt(name: string): { upstream: UpstreamConnection; name: string } | undefined;
  /** The upstream and original URI (or template) behind a downstream one. */
  resource(uri: string): { upstream: UpstreamConnection; uri: string } | undefined;
}

const NO_VALUES: CompleteResult = { completion: { values: [] } };

/** The upstream's completion for a reference the gateway serves; undefined when the reference is not one of them. */
export async function routeCompletion(
  params: CompleteParams,
  routes: CompletionRoutes,
  signal: AbortSignal,
): Promise<CompleteResult | undefined> {
  const { ref } = params;
  if (ref.type === 'ref/prompt') {
    const route = routes.prompt(ref.name);
    return route && ask(route.upstream, { ...params, ref: { ...ref, name: route.name } }, signal);
  }
  const route = routes.resource(ref.uri);
  return route && ask(route.upstream, { ...params, ref: { ...ref, uri: route.uri } }, signal);
}

async function ask(upstream: UpstreamConnection, params: CompleteParams, signal: AbortSignal): Promise<CompleteResult> {
  // An upstream that serves the prompt or template but completes nothing has no suggestions, which is not an error.
  if (!upstream.capabilities()?.completions) return NO_VALUES;
  const { completion } = await upstream.complete(params, signal);
  // Only the completion itself: the upstream's result metadata is its own, not the gateway's.
  return capped({ completion });
}
