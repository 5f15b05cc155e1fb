#!/usr/bin/env node
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config.js';
import { buildInfo } from '../version.js';
import { importCommand } from './commands/import.js';
import { keygenCommand } from './commands/keygen.js';
import { loginCommand } from './commands/login.js';
import { logoutCommand } from './commands/logout.js';
import { registerCommand } from './commands/register.js';
import { serveCommand } from './commands/serve.js';
import { doctorCommand } from './commands/doctor.js';
import { initCommand } from './commands/init.js';
import { listCommand, searchCommand } from './commands/list.js';
import { publishCommand } from './commands/publish.js';
import { showCommand } from './commands/show.js';
import { statusCommand } from './commands/status.js';
import { validateCommand } from './commands/validate.js';
import { syncCommand } from './commands/sync.js';
import { contextsCommand } from './commands/contexts.js';
import { keysCommand } from './commands/keys.js';
import { auditCommand } from './commands/audit.js';
import { gatewayCommand } from './commands/gateway.js';

export const program = new Command('wharf')
  .description('Wharf: a self-hosted control plane for Model Context Protocol servers')
  .version(buildInfo.version)
  .addCommand(serveCommand())
  .addCommand(importCommand())
  .addCommand(initCommand())
  .addCommand(validateCommand())
  .addCommand(loginCommand())
  .addCommand(logoutCommand())
  .addCommand(keygenCommand())
  .addCommand(publishCommand())
  .addCommand(statusCommand())
  .addCommand(listCommand())
  .addCommand(searchCommand())
  .addCommand(showCommand())
  .addCommand(doctorCommand())
  .addCommand(syncCommand())
  .addCommand(registerCommand())
  .addCommand(contextsCommand())
  .addCommand(keysCommand())
  .addCommand(auditCommand())
  .addCommand(gatewayCommand())
  // Program options only before the subcommand: otherwise `--version` of show/list/gateway prints Wharf's version.
  .enablePositionalOptions()
  .exitOverride();

// Imported (by scripts/docs-cli.ts and the help test) rather than run: build the program, parse nothing.
const isEntryPoint = (() => {
  try {
    return fs.realpathSync(process.argv[1] ?? '') === fileURLToPath(import.meta.url);
  } catch {
    return true;
  }
})();

try {
  if (isEntryPoint) await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`wharf: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
