import readline from 'node:readline/promises';
import { Option } from 'commander';
import type { Command } from 'commander';
import type { ServerResponse, ServerStatus, StatusChange } from '../../sdk/index.js';
import { out, paint, printJson } from '../output.js';
import { CliError, EXIT, cliCommand, connect, run, withJson, withRegistryFlags } from '../remote.js';
import type { RegistryFlags } from '../remote.js';

interface StatusFlags extends RegistryFlags {
  status: ServerStatus;
  message?: string;
  allVersions?: boolean;
  yes?: boolean;
}

export function statusCommand(): Command {
  return withJson(
    withRegistryFlags(
      cliCommand('status')
        .summary('Set the status of a version or of every version: active, deprecated, deleted')
        .description(
          'Set the lifecycle status of one version, or of every version, of a server (publish or edit permission)',
        )
        .addOption(
          new Option('--status <status>', 'the new status')
            .choices(['active', 'deprecated', 'deleted'])
            .makeOptionMandatory(),
        )
        .option('--message <text>', 'why (at most 500 characters; not allowed with active)')
        .option('--all-versions', 'change every version of the server in one transaction')
        .option('-y, --yes', 'do not ask for confirmation of --all-versions')
        .argument('<name>', 'server name, e.g. io.github.acme/weather')
        .argument('[version]', 'the version to change (or use --all-versions)'),
    ),
  ).action(
    run(async (name: string, version: string | undefined, flags: StatusFlags) => {
      if (version && flags.allVersions)
        throw new CliError('give either a VERSION or --all-versions, not both', EXIT.usage);
      if (!version && !flags.allVersions) throw new CliError('give a VERSION, or --all-versions', EXIT.usage);
      const { client } = connect(flags, { requireToken: true });
      const change: StatusChange = { status: flags.status };
      if (flags.message !== undefined) change.statusMessage = flags.message;
      const p = paint();
      if (version) {
        const updated = await client.setStatus(name, version, change);
        if (flags.json) printJson(updated);
        else out(p.green(`✓ ${describe(updated)}`));
        return EXIT.ok;
      }
      if (!flags.yes) await confirm(`Set the status of EVERY version of ${name} to ${flags.status}?`);
      const result = await client.setStatusAllVersions(name, change);
      if (flags.json) {
        printJson(result);
      } else {
        out(p.green(`✓ ${result.updatedCount} version(s) of ${name}:`));
        for (const s of result.servers) out(`  ${describe(s)}`);
      }
      return EXIT.ok;
    }),
  );
}

function describe(s: ServerResponse): string {
  const meta = s._meta['io.modelcontextprotocol.registry/official'];
  const message = meta?.statusMessage ? ` (${meta.statusMessage})` : '';
  return `${s.server.name} ${s.server.version} is ${meta?.status ?? 'unknown'}${message}`;
}

async function confirm(question: string): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new CliError('refusing to change every version without confirmation: pass --yes', EXIT.usage);
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('cancelled', EXIT.failure);
  } finally {
    rl.close();
  }
}
