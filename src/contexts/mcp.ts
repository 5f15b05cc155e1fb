/**
 * The context store as MCP tools on Wharf's `/mcp` endpoint: `context_create`, `context_get`, `context_update`,
 * `context_delete`, `context_list` and the `context://{id}` resource template. They call the same ContextService as
 * the REST API with the caller of the MCP request, so the same namespace roles, owner rule, limits and checks apply;
 * writes are audited like their REST twins.
 */
import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError } from '@modelcontextprotocol/server';
import type { CallToolResult, ReadResourceResult } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { AuditTrail } from '../audit/trail.js';
import type { Principal } from '../auth/authenticator.js';
import { defineTool } from '../mcp/provider.js';
import type { McpCallContext, McpProvider } from '../mcp/provider.js';
import { WharfError, unauthorized } from '../platform/errors.js';
import { auditedToolWrite } from './audit.js';
import type { ContextWriteAction } from './audit.js';
import type { ContextRecord } from './model.js';
import { encodeCursor } from './service.js';
import type { ContextService } from './service.js';
import { contextJson } from './wire.js';

export interface ContextMcpOptions {
  /** Where writes are recorded (the same trail as the REST API's). */
  audit: AuditTrail;
}

/** What the tools tell an agent that called without credentials. */
export const MCP_AUTHENTICATION_REQUIRED =
  'Authentication required: the context tools need a bearer token with context_reader or context_writer ' +
  'permission on the namespace (connect to /mcp with Authorization: Bearer <API key, Wharf JWT or admin token>)';

const objectOf = (what: string) =>
  z.record(z.string(), z.unknown(), {
    error: `${what} must be a JSON object such as {"step": 1} (not an array, string, number or null)`,
  });
const contextShape = z.object({
  context_id: z.string(),
  namespace: z.string(),
  version: z.number().int(),
  created_at: z.string(),
  last_updated: z.string(),
  expires_at: z.string().nullable(),
  payload: z.object({ data: z.record(z.string(), z.unknown()), metadata: z.record(z.string(), z.unknown()) }),
});
const contextId = z.string({ error: 'context_id must be a string' }).describe('The context id');
const namespace = z
  .string({ error: 'namespace must be a string such as "team-a/agents"' })
  .optional()
  .describe('Namespace (default "default")');
const expectedVersion = z
  .number({ error: 'expected_version must be the version number you read, e.g. 3' })
  .int({ error: 'expected_version must be a whole number, the version you read' })
  .min(1, { error: 'expected_version starts at 1' })
  .optional()
  .describe('Only write if the context is still at this version (optimistic concurrency, like HTTP If-Match)');

export function contextMcpProvider(service: ContextService, options: ContextMcpOptions): McpProvider {
  const { defaultTtlSeconds, maxTtlSeconds } = service.settings;
  const ttlMessage = `ttl_seconds must be a whole number of seconds from 0 (never expires) to ${maxTtlSeconds}`;
  const ttl = z
    .number({ error: ttlMessage })
    .int({ error: ttlMessage })
    .min(0, { error: ttlMessage })
    .max(maxTtlSeconds, { error: ttlMessage })
    .optional()
    .describe(
      `Seconds to live from this write; 0 = never expires; default ${defaultTtlSeconds} (WHARF_CONTEXT_DEFAULT_TTL_SECONDS)`,
    );

  const write = (
    action: ContextWriteAction,
    tool: string,
    context: McpCallContext,
    contextId: string | undefined,
    run: (principal: Principal) => Promise<ContextRecord>,
  ) =>
    auditedToolWrite(
      options.audit,
      { action, tool, principal: context.principal, clientAddress: context.clientAddress, contextId },
      () => run(callerOf(context)),
    );

  const create = defineTool({
    name: 'context_create',
    title: 'Create a context',
    description:
      'Stores a JSON context (data + metadata) with a time-to-live in a namespace and returns it with its id and ' +
      'version. Needs context_writer on the namespace.',
    input: z.object({
      data: objectOf('data').describe('The context document (a JSON object)'),
      metadata: objectOf('metadata')
        .optional()
        .describe('Metadata (a JSON object), e.g. {"owner": "...", "kind": "chat"}'),
      namespace,
      context_id: z
        .string({ error: 'context_id must be a string' })
        .optional()
        .describe('Choose the id (letters, digits, . _ : ~ -) instead of getting a generated one'),
      ttl_seconds: ttl,
    }),
    output: contextShape,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    handler: (args, context) =>
      result(async () =>
        contextJson(
          await write('context.create', 'context_create', context, args.context_id, (principal) =>
            service.create(principal, {
              id: args.context_id,
              namespace: args.namespace,
              data: args.data,
              metadata: args.metadata,
              ttlSeconds: args.ttl_seconds,
            }),
          ),
        ),
      ),
  });

  const get = defineTool({
    name: 'context_get',
    title: 'Read a context',
    description:
      'Returns a context by id with its version; fails when it does not exist or has expired. Needs ' +
      'context_reader on its namespace.',
    input: z.object({ context_id: contextId }),
    output: contextShape,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    handler: (args, context) => result(async () => contextJson(await service.get(callerOf(context), args.context_id))),
  });

  const update = defineTool({
    name: 'context_update',
    title: 'Update a context',
    description:
      "Replaces a context's data (and metadata), or with merge=true applies them as a JSON Merge Patch (RFC 7396: " +
      'null removes a key). Every update restarts the TTL. Pass expected_version (the version you read) to fail ' +
      'instead of overwriting someone else’s change. Needs context_writer.',
    input: z.object({
      context_id: contextId,
      data: objectOf('data').optional().describe('New data, or with merge=true the changes to merge into it'),
      metadata: objectOf('metadata')
        .optional()
        .describe('New metadata, or with merge=true the changes to merge into it'),
      merge: z.boolean({ error: 'merge must be true or false' }).optional().describe('Merge instead of replace'),
      ttl_seconds: ttl,
      expected_version: expectedVersion,
    }),
    output: contextShape,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    handler: (args, context) =>
      result(async () => {
        const ifMatch = ifMatchOf(args.expected_version);
        if (args.merge) {
          const patch: Record<string, unknown> = {};
          if (args.data !== undefined) patch.data = args.data;
          if (args.metadata !== undefined) patch.metadata = args.metadata;
          return contextJson(
            await write('context.patch', 'context_update', context, args.context_id, (principal) =>
              service.patch(principal, args.context_id, { patch, ttlSeconds: args.ttl_seconds, ifMatch }),
            ),
          );
        }
        return contextJson(
          await write('context.replace', 'context_update', context, args.context_id, (principal) =>
            service.replace(principal, args.context_id, {
              data: args.data,
              metadata: args.metadata,
              ttlSeconds: args.ttl_seconds,
              ifMatch,
            }),
          ),
        );
      }),
  });

  const remove = defineTool({
    name: 'context_delete',
    title: 'Delete a context',
    description: 'Deletes a context by id (optionally only at expected_version). Needs context_writer.',
    input: z.object({ context_id: contextId, expected_version: expectedVersion }),
    output: z.object({ deleted: z.boolean(), context_id: z.string() }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    handler: (args, context) =>
      result(async () => {
        await write('context.delete', 'context_delete', context, args.context_id, (principal) =>
          service.delete(principal, args.context_id, { ifMatch: ifMatchOf(args.expected_version) }),
        );
        return { deleted: true, context_id: args.context_id };
      }),
  });

  const list = defineTool({
    name: 'context_list',
    title: 'List contexts',
    description:
      'Lists the live contexts of a namespace in id order, optionally only those whose metadata has the given ' +
      'string values; pass next_cursor back as cursor for the next page. Needs context_reader.',
    input: z.object({
      namespace,
      metadata: z
        .record(z.string(), z.string(), { error: 'metadata must map keys to string values, e.g. {"kind": "chat"}' })
        .optional()
        .describe('Metadata values to match, e.g. {"kind": "chat"}'),
      cursor: z.string({ error: 'cursor must be the next_cursor string of the previous page' }).optional(),
      limit: z
        .number({ error: 'limit must be a whole number from 1 to 500' })
        .int({ error: 'limit must be a whole number from 1 to 500' })
        .min(1, { error: 'limit must be a whole number from 1 to 500' })
        .max(500, { error: 'limit must be a whole number from 1 to 500' })
        .optional()
        .describe('Page size (default 50)'),
    }),
    output: z.object({ contexts: z.array(contextShape), next_cursor: z.string().optional() }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    handler: (args, context) =>
      result(async () => {
        const page = await service.list(callerOf(context), {
          namespace: args.namespace,
          ...(args.metadata !== undefined && { metadata: args.metadata }),
          cursor: args.cursor,
          limit: args.limit,
        });
        const listed = page.contexts[0]?.namespace ?? args.namespace ?? 'default';
        return {
          contexts: page.contexts.map(contextJson),
          ...(page.nextAfter !== undefined && { next_cursor: encodeCursor(listed, page.nextAfter) }),
        };
      }),
  });

  return {
    id: 'contexts',
    tools: [create, get, update, remove, list],
    resourceTemplates: [
      {
        name: 'context',
        title: 'Context',
        uriTemplate: 'context://{id}',
        description: 'A context document by id, as JSON (the same resource as GET /api/v1/contexts/{id})',
        mimeType: 'application/json',
        read: (uri, variables, context) => readContext(service, uri, variables.id, context),
      },
    ],
  };
}

async function readContext(
  service: ContextService,
  uri: URL,
  raw: string | string[] | undefined,
  context: McpCallContext,
): Promise<ReadResourceResult> {
  const encoded = Array.isArray(raw) ? raw[0] : raw;
  let id: string | undefined;
  try {
    id = encoded === undefined || encoded === '' ? undefined : decodeURIComponent(encoded);
  } catch {
    id = undefined;
  }
  if (id === undefined) throw new ResourceNotFoundError(uri.href, `Not a context URI: ${uri.href} (context://<id>)`);
  try {
    const found = await service.get(callerOf(context), id);
    return {
      contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(contextJson(found)) }],
    };
  } catch (error) {
    if (!(error instanceof WharfError)) throw error;
    if (error.code === 'not_found') throw new ResourceNotFoundError(uri.href, error.detail);
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, errorText(error), { uri: uri.href, status: error.status });
  }
}

function callerOf(context: McpCallContext): Principal {
  if (!context.principal) throw unauthorized(MCP_AUTHENTICATION_REQUIRED);
  return context.principal;
}

function ifMatchOf(version: number | undefined): string | undefined {
  return version === undefined ? undefined : `"${version}"`;
}

/**
 * Runs a tool body: its result as structured content plus a text copy, or an `isError` result whose text starts
 * with the REST status and code (`412 precondition_failed: …`), so an agent can tell a conflict from a refusal.
 */
async function result<T extends object>(body: () => Promise<T>): Promise<CallToolResult> {
  try {
    const value = await body();
    return {
      content: [{ type: 'text', text: JSON.stringify(value) }],
      structuredContent: value as Record<string, unknown>,
    };
  } catch (error) {
    if (error instanceof WharfError) return { isError: true, content: [{ type: 'text', text: errorText(error) }] };
    throw error;
  }
}

function errorText(error: WharfError): string {
  // The service often repeats its causes in the detail already; list only what it does not say.
  const extra = (error.errors ?? []).map((e) => e.message).filter((message) => !error.detail.includes(message));
  return `${error.status} ${error.code}: ${error.detail}${extra.length > 0 ? ` (${extra.join('; ')})` : ''}`;
}
