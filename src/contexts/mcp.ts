import { ResourceTemplate } from '@modelcontextprotocol/server';
import type { CallToolResult, McpServer, ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Principal } from '../auth/authenticator.js';
import { WharfError } from '../platform/errors.js';
import { encodeCursor } from './service.js';
import type { ContextService } from './service.js';
import { contextJson } from './wire.js';

export interface ContextToolsOptions {
  service: ContextService;
  /** The authenticated caller of this MCP request, or undefined when it has none. */
  principalOf(ctx: ServerContext): Principal | undefined;
}

const object = z.record(z.string(), z.unknown());
const contextShape = z.object({
  context_id: z.string(),
  namespace: z.string(),
  version: z.number().int(),
  created_at: z.string(),
  last_updated: z.string(),
  expires_at: z.string().nullable(),
  payload: z.object({ data: object, metadata: object }),
});
const ttl = z
  .number()
  .int()
  .min(0)
  .optional()
  .describe('Seconds to live; 0 = never expires; default from WHARF_CONTEXT_DEFAULT_TTL_SECONDS (3600)');
const contextId = z.string().describe('The context id');
const expectedVersion = z
  .number()
  .int()
  .min(1)
  .optional()
  .describe('Only write if the context is still at this version (optimistic concurrency, like HTTP If-Match)');

/** The principal the host attached to the request's auth info (`extra.principal`), for hosts that use it. */
export function principalFromAuthInfo(ctx: ServerContext): Principal | undefined {
  const principal = ctx.http?.authInfo?.extra?.principal;
  return principal && typeof principal === 'object' ? (principal as Principal) : undefined;
}

/**
 * Registers the context tools (`context_create`, `context_get`, `context_update`, `context_delete`,
 * `context_list`) and the `context://{id}` resource template on an MCP server. They call the same
 * ContextService as the REST API, so the same namespace roles and owner rule apply.
 */
export function registerContextTools(server: McpServer, options: ContextToolsOptions): void {
  const { service } = options;
  const caller = (ctx: ServerContext): Principal => {
    const principal = options.principalOf(ctx);
    if (!principal) {
      throw new WharfError('unauthorized', 'Authentication required: connect with Authorization: Bearer <token>');
    }
    return principal;
  };

  server.registerTool(
    'context_create',
    {
      title: 'Create a context',
      description:
        'Stores a JSON context (data + metadata) with a time-to-live in a namespace and returns it with its id and version.',
      inputSchema: z.object({
        data: object.describe('The context document (a JSON object)'),
        metadata: object.optional().describe('Metadata (a JSON object), e.g. {"owner": "...", "kind": "chat"}'),
        namespace: z.string().optional().describe('Namespace (default "default")'),
        context_id: z.string().optional().describe('Choose the id instead of getting a generated one'),
        ttl_seconds: ttl,
      }),
      outputSchema: contextShape,
    },
    async (args, ctx) =>
      run(async () =>
        contextJson(
          await service.create(caller(ctx), {
            id: args.context_id,
            namespace: args.namespace,
            data: args.data,
            metadata: args.metadata,
            ttlSeconds: args.ttl_seconds,
          }),
        ),
      ),
  );

  server.registerTool(
    'context_get',
    {
      title: 'Read a context',
      description: 'Returns a context by id; fails when it does not exist or has expired.',
      inputSchema: z.object({ context_id: contextId }),
      outputSchema: contextShape,
      annotations: { readOnlyHint: true },
    },
    async (args, ctx) => run(async () => contextJson(await service.get(caller(ctx), args.context_id))),
  );

  server.registerTool(
    'context_update',
    {
      title: 'Update a context',
      description:
        "Replaces a context's data (and metadata), or with merge=true applies them as a JSON Merge Patch (RFC 7396: null removes a key). Every update restarts the TTL.",
      inputSchema: z.object({
        context_id: contextId,
        data: object.optional().describe('New data, or with merge=true the changes to merge into it'),
        metadata: object.optional().describe('New metadata, or with merge=true the changes to merge into it'),
        merge: z.boolean().optional().describe('Merge instead of replace (default false)'),
        ttl_seconds: ttl,
        expected_version: expectedVersion,
      }),
      outputSchema: contextShape,
    },
    async (args, ctx) =>
      run(async () => {
        const principal = caller(ctx);
        const ifMatch = args.expected_version === undefined ? undefined : `"${args.expected_version}"`;
        if (args.merge) {
          const patch: Record<string, unknown> = {};
          if (args.data !== undefined) patch.data = args.data;
          if (args.metadata !== undefined) patch.metadata = args.metadata;
          return contextJson(
            await service.patch(principal, args.context_id, { patch, ttlSeconds: args.ttl_seconds, ifMatch }),
          );
        }
        return contextJson(
          await service.replace(principal, args.context_id, {
            data: args.data,
            metadata: args.metadata,
            ttlSeconds: args.ttl_seconds,
            ifMatch,
          }),
        );
      }),
  );

  server.registerTool(
    'context_delete',
    {
      title: 'Delete a context',
      description: 'Deletes a context by id.',
      inputSchema: z.object({ context_id: contextId, expected_version: expectedVersion }),
      outputSchema: z.object({ deleted: z.boolean(), context_id: z.string() }),
      annotations: { destructiveHint: true },
    },
    async (args, ctx) =>
      run(async () => {
        const ifMatch = args.expected_version === undefined ? undefined : `"${args.expected_version}"`;
        await service.delete(caller(ctx), args.context_id, { ifMatch });
        return { deleted: true, context_id: args.context_id };
      }),
  );

  server.registerTool(
    'context_list',
    {
      title: 'List contexts',
      description:
        'Lists the live contexts of a namespace in id order, optionally only those whose metadata has the given string values; pass next_cursor back to get the next page.',
      inputSchema: z.object({
        namespace: z.string().optional().describe('Namespace (default "default")'),
        metadata: z
          .record(z.string(), z.string())
          .optional()
          .describe('Metadata values to match, e.g. {"kind": "chat"}'),
        cursor: z.string().optional().describe('next_cursor from the previous page'),
        limit: z.number().int().min(1).max(500).optional().describe('Page size (default 50)'),
      }),
      outputSchema: z.object({ contexts: z.array(contextShape), next_cursor: z.string().optional() }),
      annotations: { readOnlyHint: true },
    },
    async (args, ctx) =>
      run(async () => {
        const page = await service.list(caller(ctx), {
          namespace: args.namespace,
          metadata: args.metadata,
          cursor: args.cursor,
          limit: args.limit,
        });
        const namespace = page.contexts[0]?.namespace ?? args.namespace ?? 'default';
        return {
          contexts: page.contexts.map(contextJson),
          ...(page.nextAfter !== undefined ? { next_cursor: encodeCursor(namespace, page.nextAfter) } : {}),
        };
      }),
  );

  server.registerResource(
    'context',
    new ResourceTemplate('context://{id}', { list: undefined }),
    {
      title: 'Context',
      description: 'A context document by id, as JSON (the same resource as GET /api/v1/contexts/{id})',
      mimeType: 'application/json',
    },
    async (uri, variables, ctx) => {
      const id = Array.isArray(variables.id) ? variables.id[0] : variables.id;
      const context = await service.get(caller(ctx), decodeURIComponent(String(id ?? '')));
      return {
        contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(contextJson(context)) }],
      };
    },
  );
}

/** Runs a tool body: its result as structured content plus a text copy, or an isError result a model can read. */
async function run<T extends object>(body: () => Promise<T>): Promise<CallToolResult> {
  try {
    const result = await body();
    return {
      content: [{ type: 'text', text: JSON.stringify(result) }],
      structuredContent: result as Record<string, unknown>,
    };
  } catch (error) {
    if (error instanceof WharfError) {
      const details = error.errors?.map((e) => e.message).join('; ');
      return {
        isError: true,
        content: [
          { type: 'text', text: `${error.status} ${error.code}: ${error.detail}${details ? ` (${details})` : ''}` },
        ],
      };
    }
    throw error;
  }
}
