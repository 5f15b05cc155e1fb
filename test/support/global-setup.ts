import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres-server.js';
import type { PostgresServer } from './postgres-server.js';
import { startRedis } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    redisUrl: string;
  }
}

let server: PostgresServer | undefined;
let redis: RedisServer | undefined;

/** One PostgreSQL cluster for the whole run; every test file creates its own database in it. */
export async function setup(project: TestProject) {
  await setupRedis(project);
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
  await redis?.stop();
}

/** One redis-server for the whole run; every test uses its own key prefix in it. */
async function setupRedis(project: TestProject) {
  if (process.env.WHARF_TEST_REDIS === 'off') {
    project.provide('redisUrl', '');
    return;
  }
  redis = await startRedis();
  if (!redis) {
    process.stderr.write(
      '\n[wharf tests] redis-server not found on PATH: Redis tests are SKIPPED. ' +
        'Install it (apt-get install redis-server) to run them.\n\n',
    );
  }
  project.provide('redisUrl', redis?.url ?? '');
}
