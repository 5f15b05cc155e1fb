import { Option } from 'commander';
import type { Command } from 'commander';
import type { ListQuery, ServerResponse, ServerStatus } from '../../sdk/index.js';
import { out, printJson, spinner, table, truncate } from '../output.js';
import { CliError, EXIT, cliCommand, connect, run, withJson, withRegistryFlags } from '../remote.js';
import type { RegistryFlags } from '../remote.js';

interface ListFlags extends RegistryFlags {
  search?: string;
  version?: string;
  allVersions?: boolean;
  includeDeleted?: boolean;
  updatedSince?: string;
  limit?: string;
  transport?: string;
  registryType?: string;
  hasRemote?: boolean;
  hasPackage?: boolean;
  namespace?: string;
  status?: ServerStatus;
  health?: string;
}

/** Flags shared by list and search; the Wharf filters pass straight through as query parameters. */
function withListFlags(command: Command): Command {
  return withJson(
    withRegistryFlags(
      command
        .option('--version <version>', 'an exact version (default: the latest version of each server)')
        .option('--all-versions', 'every version, not only the latest')
        .option('--include-deleted', 'include deleted versions')
        .option('--updated-since <time>', 'only versions updated after this RFC 3339 time')
        .option('--limit <n>', 'stop after n servers')
        .option('--transport <type>', 'only servers offering this transport (stdio, streamable-http, sse)')
        .option('--registry-type <type>', 'only servers with a package of this type (npm, pypi, oci, ...)')
        .option('--has-remote', 'only servers with a remote')
        .option('--has-package', 'only servers with a package')
        .option('--namespace <namespace>', 'only servers in this namespace (the part before /)')
        .addOption(
          new Option('--status <status>', 'only versions in this status').choices(['active', 'deprecated', 'deleted']),
        )
        .option('--health <state>', 'only servers whose health is this (passing, warning, critical)'),
    ),
  );
}

export function listCommand(): Command {
  return withListFlags(
    cliCommand('list')
      .summary('List servers (latest versions by default)')
      .description('List the servers in the registry (every page), as a table or --json')
      .option('--search <text>', 'only names containing this text (case-insensitive)'),
  ).action(run(async (flags: ListFlags) => listServers(flags)));
}

export function searchCommand(): Command {
  return withListFlags(
    cliCommand('search')
      .summary('Search servers by name, with the same filters as list')
      .description('Search servers by name, with the same filters as list')
      .argument('<query>', 'text the server name must contain (case-insensitive)'),
  ).action(run(async (query: string, flags: ListFlags) => listServers({ ...flags, search: query })));
}

async function listServers(flags: ListFlags): Promise<number> {
  if (flags.version && flags.allVersions) throw new CliError('give either --version or --all-versions', EXIT.usage);
  let limit = Infinity;
  if (flags.limit !== undefined) {
    limit = Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new CliError(`--limit must be a positive whole number`, EXIT.usage);
  }
  const query: ListQuery = {
    limit: Math.min(100, limit),
    version: flags.allVersions ? undefined : (flags.version ?? 'latest'),
    search: flags.search,
    includeDeleted: flags.includeDeleted,
    updatedSince: flags.updatedSince,
    transport: flags.transport,
    registryType: flags.registryType,
    hasRemote: flags.hasRemote,
    hasPackage: flags.hasPackage,
    namespace: flags.namespace,
    status: flags.status,
    health: flags.health,
  };
  const { client } = connect(flags);
  const servers: ServerResponse[] = [];
  const progress = spinner('fetching servers');
  try {
    for await (const s of client.list(query)) {
      servers.push(s);
      progress.update(`fetching servers: ${servers.length}`);
      if (servers.length >= limit) break;
    }
  } finally {
    progress.stop();
  }
  if (flags.json) {
    printJson(servers);
    return EXIT.ok;
  }
  if (servers.length === 0) {
    out('No servers found.');
    return EXIT.ok;
  }
  const rows = servers.map((s) => {
    const meta = s._meta['io.modelcontextprotocol.registry/official'];
    return [
      s.server.name,
      s.server.version,
      meta?.status ?? '',
      (meta?.updatedAt ?? '').slice(0, 10),
      truncate(s.server.description ?? '', 60),
    ];
  });
  out(table(['NAME', 'VERSION', 'STATUS', 'UPDATED', 'DESCRIPTION'], rows));
  return EXIT.ok;
}
