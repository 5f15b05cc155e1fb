#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config.js';
import { buildInfo } from '../version.js';
import { importCommand } from './commands/import.js';
import { registerCommand } from './commands/register.js';
import { serveCommand } from './commands/serve.js';

const program = new Command('wharf')
  .description('Wharf: a self-hosted control plane for Model Context Protocol servers')
  .version(buildInfo.version)
  .addCommand(serveCommand())
  .addCommand(importCommand())
  .addCommand(registerCommand())
  .exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`wharf: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
