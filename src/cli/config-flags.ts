import type { Command } from 'commander';

/** The configuration flags shared by every command that opens the database. */
export function withConfigFlags(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'embedded database, keys and secrets (env WHARF_DATA_DIR, default ./.wharf)')
    .option('--database-url <url>', 'postgres://… selects PostgreSQL (env WHARF_DATABASE_URL)')
    .option('--redis-url <url>', 'Redis for shared state across replicas (env WHARF_REDIS_URL)');
}
