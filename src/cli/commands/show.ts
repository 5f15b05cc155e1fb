import type { Command } from 'commander';
import type { ServerResponse } from '../../sdk/index.js';
import { out, paint, printJson, table } from '../output.js';
import { cliCommand, connect, run, withJson, withRegistryFlags } from '../remote.js';
import type { RegistryFlags } from '../remote.js';

interface ShowFlags extends RegistryFlags {
  version?: string;
  versions?: boolean;
  includeDeleted?: boolean;
}

export function showCommand(): Command {
  return withJson(
    withRegistryFlags(
      cliCommand('show')
        .summary('Show a server version, or all its versions')
        .description('Show one server version (the latest by default), or all its versions with --versions')
        .argument('<name>', 'server name, e.g. io.github.acme/weather')
        .option('--version <version>', 'the version to show (default: latest)')
        .option('--versions', 'list every version instead')
        .option('--include-deleted', 'also find deleted versions'),
    ),
  ).action(
    run(async (name: string, flags: ShowFlags) => {
      const { client } = connect(flags);
      const includeDeleted = Boolean(flags.includeDeleted);
      if (flags.versions) {
        const versions = await client.versions(name, { includeDeleted });
        if (flags.json) return printJson(versions);
        const rows = versions.map((s) => {
          const meta = s._meta['io.modelcontextprotocol.registry/official'];
          return [s.server.version, meta?.status ?? '', meta?.isLatest ? 'yes' : '', meta?.publishedAt ?? ''];
        });
        return out(table(['VERSION', 'STATUS', 'LATEST', 'PUBLISHED'], rows));
      }
      const found = await client.get(name, flags.version ?? 'latest', { includeDeleted });
      if (flags.json) return printJson(found);
      printServer(found);
    }),
  );
}

function printServer(s: ServerResponse): void {
  const p = paint();
  const meta = s._meta['io.modelcontextprotocol.registry/official'];
  const server = s.server;
  const field = (label: string, value: string | undefined) => {
    if (value) out(`${p.dim(label.padEnd(12))}${value}`);
  };
  out(p.bold(server.name));
  field('version', `${server.version}${meta?.isLatest ? ' (latest)' : ''}`);
  field('status', meta ? `${meta.status}${meta.statusMessage ? ` — ${meta.statusMessage}` : ''}` : undefined);
  field('title', server.title);
  field('description', server.description);
  field('repository', server.repository?.url);
  field('website', server.websiteUrl);
  field('published', meta?.publishedAt);
  field('updated', meta?.updatedAt);
  const health = s._meta['dev.wharf/health'] as { status?: string; checkedAt?: string } | undefined;
  if (health?.status) field('health', `${health.status}${health.checkedAt ? ` (checked ${health.checkedAt})` : ''}`);
  if (server.packages?.length) {
    out(p.dim('packages'));
    for (const pkg of server.packages) {
      const version = pkg.version ? `@${pkg.version}` : '';
      out(`  ${pkg.registryType} ${pkg.identifier}${version} (${pkg.transport.type})`);
    }
  }
  if (server.remotes?.length) {
    out(p.dim('remotes'));
    for (const remote of server.remotes) out(`  ${remote.type} ${remote.url ?? ''}`);
  }
}
