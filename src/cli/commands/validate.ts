import type { Command } from 'commander';
import { printJson } from '../output.js';
import { EXIT, cliCommand, run, withJson } from '../remote.js';

export function validateCommand(): Command {
  return withJson(
    cliCommand('validate')
      .summary('Validate a server.json offline (the rules and codes of POST /validate)')
      .description(
        'Validate a server.json offline with the registry’s own rules and issue codes (those of POST /validate); exits 1 when invalid',
      )
      .argument('[file]', 'the server.json to check', 'server.json'),
  ).action(
    run(async (file: string, flags: { json?: boolean }) => {
      const { checkServer, printReport, readServerFile } = await import('../server-file.js');
      const { report } = checkServer(readServerFile(file), 'all');
      if (flags.json) printJson(report);
      else printReport(file, report);
      return report.valid ? EXIT.ok : EXIT.failure;
    }),
  );
}
