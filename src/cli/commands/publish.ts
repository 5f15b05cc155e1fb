import type { Command } from 'commander';
import { WharfApiError } from '../../sdk/index.js';
import { err, out, paint, printJson } from '../output.js';
import { EXIT, cliCommand, connect, run, withJson, withRegistryFlags } from '../remote.js';
import type { RegistryFlags } from '../remote.js';

export function publishCommand(): Command {
  return withJson(
    withRegistryFlags(
      cliCommand('publish')
        .summary('Validate, then publish a server.json')
        .description(
          'Publish a server.json: validates it offline first, then POSTs it to the registry (needs a token with publish permission)',
        )
        .argument('[file]', 'the server.json to publish', 'server.json'),
    ),
  ).action(
    run(async (file: string, flags: RegistryFlags) => {
      const { checkServer, printReport, readServerFile } = await import('../server-file.js');
      // The checks publish itself runs (schema version + semantic rules), so nothing the registry would take is refused.
      const checked = checkServer(readServerFile(file), 'publish');
      if (!checked.report.valid || !checked.server) {
        if (flags.json) printJson(checked.report);
        else printReport(file, checked.report);
        return EXIT.failure;
      }
      const server = checked.server;
      const { client, registry } = connect(flags, { requireToken: true });
      try {
        const published = await client.publish(server);
        if (flags.json) {
          printJson(published);
        } else {
          const meta = published._meta['io.modelcontextprotocol.registry/official'];
          const p = paint();
          out(p.green(`✓ Published ${published.server.name} ${published.server.version} to ${registry}`));
          if (meta) out(`  status ${meta.status}${meta.isLatest ? ', latest version' : ''}`);
          for (const w of checked.report.issues) out(p.yellow(`  warning: ${w.path}: ${w.message}`));
        }
        return EXIT.ok;
      } catch (error) {
        // As the official CLI does: when the registry says the document is invalid, ask it why and show the details.
        if (error instanceof WharfApiError && error.status === 422 && error.detail !== 'validation failed') {
          const report = await client.validate(server).catch(() => undefined);
          if (report) {
            err(`wharf: ${error.status} ${error.title}: ${error.detail}`);
            if (flags.json) printJson(report);
            else printReport(file, report);
            return EXIT.failure;
          }
        }
        throw error;
      }
    }),
  );
}
