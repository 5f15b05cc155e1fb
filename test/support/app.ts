import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { WharfConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/platform/observability/logger.js';
import { createWharf } from '../../src/wharf.js';
import type { Wharf, WharfOverrides } from '../../src/wharf.js';
import { sqliteDatabase } from './databases.js';
import type { TestDatabase } from './databases.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestApp {
  wharf: Wharf;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** A complete Wharf (services + HTTP app, not listening) on a fresh database of the given dialect. */
export async function createTestApp(
  options: {
    database?: TestDatabase;
    env?: Record<string, string>;
    config?: Partial<WharfConfig>;
    overrides?: WharfOverrides;
  } = {},
): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-data-'));
  const base = loadConfig(
    { dataDir },
    { WHARF_ADMIN_TOKEN: ADMIN_TOKEN, WHARF_AUTH_ANONYMOUS: 'true', WHARF_LOG_LEVEL: 'silent', ...options.env },
  );
  const config: WharfConfig = {
    ...base,
    database: await (options.database ?? sqliteDatabase).create(),
    ...options.config,
  };
  const wharf = await createWharf(config, createLogger(config.logLevel), options.overrides);
  const app = await buildApp(wharf);
  await app.ready();
  return {
    wharf,
    app,
    async close() {
      await app.close();
      await wharf.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** A minimal valid server.json for the given name and version. */
export function serverJson(name: string, version = '1.0.0', extra: Record<string, unknown> = {}) {
  return {
    $schema: 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json',
    name,
    description: `Test server ${name}`,
    version,
    ...extra,
  };
}
