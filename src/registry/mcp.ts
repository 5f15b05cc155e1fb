/**
 * The registry as MCP tools and resources: `search_servers`, `get_server`, `list_versions` and the
 * `registry://servers/{name}[/versions/{version}]` templates. Everything goes through RegistryService, with the
 * same rules and answers as the REST API; failures become `isError` results that say what to do next.
 */
import { ResourceNotFoundError } from '@modelcontextprotocol/server';
import type { CallToolResult, ReadResourceResult } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Principal } from '../auth/authenticator.js';
import { WharfError, badRequest, notFound } from '../platform/errors.js';
import { defineTool } from '../mcp/provider.js';
import type { McpProvider } from '../mcp/provider.js';
import type { ListFilter, ServerVersion } from './model.js';
import { OFFICIAL_META_KEY } from './model.js';
import { parseListCursor } from './search/cursor.js';
import type { RegistryService } from './service.js';
import { officialMetaJson, serverResponseJson } from './wire.js';

export interface RegistryMcpOptions {
  /**
   * Who may read the registry over MCP. `authenticated` hides the tools and resources from callers without
   * credentials (the hook for private deployments, WHARF_REGISTRY_READ=authenticated).
   */
  readAccess?: 'public' | 'authenticated';
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const JSON_OBJECT = z.record(z.string(), z.unknown());
const SERVER_ENTRY = z.object({
  server: JSON_OBJECT.describe('The server.json document, as published'),
  _meta: JSON_OBJECT.describe(`Registry metadata; "${OFFICIAL_META_KEY}" holds status, dates and isLatest`),
});
const READ_ONLY = { readOnlyHint: true, idempotentHint: true, openWorldHint: false } as const;

const searchInput = z.object({
  query: z
    .string()
    .max(200)
    .optional()
    .describe('Text to look for in server names, case-insensitive (the registry API `search` parameter)'),
  version: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe("'latest' (default: one entry per server), an exact version, or 'any' for every version"),
  updatedSince: z.string().optional().describe('RFC 3339 timestamp: only servers updated after it'),
  includeDeleted: z.boolean().optional().describe('Include deleted versions (default false)'),
  limit: z.number().int().min(1).max(100).optional().describe('Servers per page, 1–100 (default 30)'),
  cursor: z.string().max(512).optional().describe('nextCursor from the previous page'),
});
const searchOutput = z.object({
  servers: z.array(SERVER_ENTRY),
  count: z.number().int().describe('Servers on this page'),
  nextCursor: z.string().optional().describe('Pass as cursor for the next page; absent on the last page'),
});

const getInput = z.object({
  name: z.string().min(1).max(200).describe('Server name, e.g. io.github.owner/server'),
  version: z.string().min(1).max(255).optional().describe("Exact version, or 'latest' (default)"),
});

const versionsInput = z.object({
  name: z.string().min(1).max(200).describe('Server name, e.g. io.github.owner/server'),
  includeDeleted: z.boolean().optional().describe('Include deleted versions (default false)'),
});
const versionsOutput = z.object({
  name: z.string(),
  count: z.number().int(),
  versions: z.array(
    z.object({
      version: z.string(),
      status: z.string(),
      statusMessage: z.string().optional(),
      isLatest: z.boolean(),
      publishedAt: z.string(),
      updatedAt: z.string(),
      uri: z.string().describe('Resource URI of this version’s server.json'),
    }),
  ),
});

export function registryMcpProvider(service: RegistryService, options: RegistryMcpOptions = {}): McpProvider {
  const search = defineTool({
    name: 'search_servers',
    title: 'Search MCP servers',
    description:
      'Search the MCP server registry. Returns server.json documents with registry metadata, ordered by name; ' +
      'page with nextCursor. Use get_server for one server and list_versions for its history.',
    input: searchInput,
    output: searchOutput,
    annotations: READ_ONLY,
    async handler(args) {
      const page = await service.list(searchFilter(args));
      const servers = page.servers.map(entryOf);
      return structured({ servers, count: servers.length, ...(page.nextCursor && { nextCursor: page.nextCursor }) });
    },
  });

  const get = defineTool({
    name: 'get_server',
    title: 'Get an MCP server',
    description:
      "Get one server's server.json (remotes, packages, environment variables) and registry metadata, by exact " +
      'name and optionally version (default: the latest). Find names with search_servers.',
    input: getInput,
    output: SERVER_ENTRY,
    annotations: READ_ONLY,
    async handler({ name, version }) {
      return structured(entryOf(await findVersion(service, name, version ?? 'latest')));
    },
  });

  const versions = defineTool({
    name: 'list_versions',
    title: 'List versions of an MCP server',
    description:
      'List every published version of a server with its status and dates; the latest is flagged. ' +
      'Read one with get_server or the resource URI given for it.',
    input: versionsInput,
    output: versionsOutput,
    annotations: READ_ONLY,
    async handler({ name, includeDeleted }) {
      const all = await withAdvice(service.versions(name, includeDeleted ?? false), () =>
        notFound(`Server "${name}" not found. Names are exact (e.g. io.github.owner/server); use search_servers.`),
      );
      return structured({
        name,
        count: all.length,
        versions: all.map((v) => ({
          version: v.version,
          status: v.status,
          ...(v.statusMessage !== null && { statusMessage: v.statusMessage }),
          isLatest: v.isLatest,
          publishedAt: v.publishedAt,
          updatedAt: v.updatedAt,
          uri: versionUri(v.name, v.version),
        })),
      });
    },
  });

  return {
    id: 'registry',
    ...(options.readAccess === 'authenticated' && {
      availableTo: (principal: Principal | null) => principal !== null,
    }),
    tools: [search, get, versions],
    resourceTemplates: [
      {
        name: 'server',
        title: 'server.json of the latest version',
        uriTemplate: 'registry://servers/{name}',
        description: 'The server.json of the latest version of a server (the name percent-encoded: / is %2F).',
        mimeType: 'application/json',
        read: async (uri, variables) => readServer(service, uri, variables.name, 'latest'),
      },
      {
        name: 'server-version',
        title: 'server.json of one version',
        uriTemplate: 'registry://servers/{name}/versions/{version}',
        description: 'The server.json of one version of a server (name and version percent-encoded).',
        mimeType: 'application/json',
        read: async (uri, variables) => readServer(service, uri, variables.name, variables.version),
      },
    ],
  };
}

type SearchArgs = z.output<typeof searchInput>;

function searchFilter(args: SearchArgs): ListFilter {
  const filter: ListFilter = { limit: args.limit ?? 30, includeDeleted: args.includeDeleted === true };
  if (args.query !== undefined && args.query.trim() !== '') filter.search = args.query.trim();
  const version = args.version ?? 'latest';
  if (version !== 'any') filter.version = version;
  if (args.updatedSince !== undefined) {
    const parsed = RFC3339.test(args.updatedSince) ? new Date(args.updatedSince) : undefined;
    if (!parsed || Number.isNaN(parsed.getTime())) {
      throw badRequest(`updatedSince must be an RFC 3339 timestamp such as 2025-08-07T13:15:04Z`);
    }
    filter.updatedSince = parsed.toISOString();
    // Incremental sync must see deletions, as the REST API insists.
    filter.includeDeleted = true;
  }
  // The same cursors as the REST list: ranked ones for a search, `name:version` otherwise.
  if (args.cursor !== undefined && args.cursor !== '') filter.cursor = parseListCursor(args.cursor, filter.search);
  return filter;
}

async function findVersion(service: RegistryService, name: string, version: string): Promise<ServerVersion> {
  return withAdvice(service.get(name, version, false), async () => {
    const known = await service.versions(name, false).catch(() => undefined);
    if (!known) {
      return notFound(`Server "${name}" not found. Names are exact (e.g. io.github.owner/server); use search_servers.`);
    }
    const latest = known.find((v) => v.isLatest)?.version;
    const listed = known
      .slice(0, 5)
      .map((v) => v.version)
      .join(', ');
    return notFound(
      `Server "${name}" has no version "${version}". Latest: ${latest ?? 'none'}; recent versions: ${listed}. ` +
        'list_versions shows them all.',
    );
  });
}

/** Replaces the service's terse "not found" with advice; other errors pass unchanged. */
async function withAdvice<T>(work: Promise<T>, advice: () => WharfError | Promise<WharfError>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof WharfError && error.code === 'not_found') throw await advice();
    throw error;
  }
}

async function readServer(
  service: RegistryService,
  uri: URL,
  encodedName: string | string[] | undefined,
  encodedVersion: string | string[] | undefined,
): Promise<ReadResourceResult> {
  const name = decode(encodedName);
  const version = decode(encodedVersion);
  if (name === undefined || version === undefined) {
    throw new ResourceNotFoundError(uri.href, `Not a registry URI: ${uri.href} (percent-encode the name: / is %2F)`);
  }
  try {
    const found = await service.get(name, version, false);
    return {
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/json',
          text: found.document,
          _meta: { [OFFICIAL_META_KEY]: JSON.parse(officialMetaJson(found)) as Record<string, unknown> },
        },
      ],
    };
  } catch (error) {
    if (error instanceof WharfError && error.code === 'not_found') {
      const what = version === 'latest' ? `Server "${name}"` : `Version "${version}" of server "${name}"`;
      throw new ResourceNotFoundError(uri.href, `${what} not found in the registry`);
    }
    throw error;
  }
}

function decode(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function entryOf(version: ServerVersion): z.output<typeof SERVER_ENTRY> {
  return JSON.parse(serverResponseJson(version)) as z.output<typeof SERVER_ENTRY>;
}

function structured(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

export function serverUri(name: string): string {
  return `registry://servers/${encodeURIComponent(name)}`;
}

export function versionUri(name: string, version: string): string {
  return `${serverUri(name)}/versions/${encodeURIComponent(version)}`;
}
