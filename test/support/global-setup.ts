import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres-server.js';
import type { PostgresServer } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

let server: PostgresServer | undefined;

/** One PostgreSQL cluster for the whole run; every test file creates its own database in it. */
export async function setup(project: TestProject) {
  if (process.env.WHARF_TEST_POSTGRES === 'off') {
    project.provide('postgresUrl', '');
    return;
  }
  server = await startPostgres();
  if (!server) {
    process.stderr.write(
      '\n[wharf tests] PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): PostgreSQL tests are SKIPPED. ' +
        'Install postgresql (apt-get install postgresql) to run them.\n\n',
    );
  }
  project.provide('postgresUrl', server?.url ?? '');
}

export async function teardown() {
  await server?.stop();
}
