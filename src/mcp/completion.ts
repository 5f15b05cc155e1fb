/**
 * `completion/complete` served from the providers that complete arguments (the gateway, for upstream prompts and
 * resource templates): the first provider that knows the reference answers; values are capped at the protocol's 100.
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { CompleteRequest, CompleteResult, ServerContext } from '@modelcontextprotocol/server';
import type { McpCallContext, McpDynamicContent } from './provider.js';

type Completer = NonNullable<McpDynamicContent['complete']>;

/** The most values one completion result may carry. */
export const MAX_COMPLETION_VALUES = 100;

export function completionHandler(
  completers: readonly Completer[],
  callContext: (ctx: ServerContext) => McpCallContext,
): (request: CompleteRequest, ctx: ServerContext) => Promise<CompleteResult> {
  return async (request, ctx) => {
    const context = callContext(ctx);
    for (const complete of completers) {
      const result = await complete(request.params, context);
      if (result) return capped(result);
    }
    const { ref } = request.params;
    const what = ref.type === 'ref/prompt' ? `prompt ${ref.name}` : `resource ${ref.uri}`;
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `No completions for ${what}: it is not served here`);
  };
}

/** At most MAX_COMPLETION_VALUES values; a longer list is cut and marked `hasMore`. */
export function capped(result: CompleteResult): CompleteResult {
  const { completion } = result;
  if (completion.values.length <= MAX_COMPLETION_VALUES) return result;
  return {
    ...result,
    completion: {
      ...completion,
      values: completion.values.slice(0, MAX_COMPLETION_VALUES),
      total: completion.total ?? completion.values.length,
      hasMore: true,
    },
  };
}
