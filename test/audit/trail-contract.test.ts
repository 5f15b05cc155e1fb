import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/service.js';
import type { AuditStore } from '../../src/audit/store.js';
import type { AuditEvent } from '../../src/audit/trail.js';
import { loadConfig } from '../../src/config/config.js';
import { monotonicClock } from '../../src/platform/clock.js';
import { createLogger } from '../../src/platform/observability/logger.js';
import { createWharf } from '../../src/wharf.js';
import { createTestApp, serverJson } from '../support/app.js';
import { sqliteDatabase } from '../support/databases.js';
import { bearer, createKey } from '../auth/support.js';

describe('audit trail contract', () => {
  it('logs a failed audit write instead of failing the caller', async () => {
    const failures: [unknown, AuditEvent][] = [];
    const broken = {
      append: async () => {
        throw new Error('disk full');
      },
    } as unknown as AuditStore;
    const service = new AuditService(broken, monotonicClock(), (error, event) => failures.push([error, event]));
    const event: AuditEvent = { action: 'server.publish', actor: undefined, outcome: 'success' };
    await expect(service.record(event)).resolves.toBeUndefined();
    expect(failures).toHaveLength(1);
    expect((failures[0]?.[0] as Error).message).toBe('disk full');
    expect(failures[0]?.[1]).toBe(event);
  });

  it('writes concurrent events together, each record() resolving once its row is committed', async () => {
    const database = await sqliteDatabase.create();
    const config = { ...loadConfig({}, { WHARF_LOG_LEVEL: 'silent' }), database };
    const wharf = await createWharf(
      { ...config, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-audit-')) },
      createLogger('silent'),
    );
    try {
      const events = Array.from({ length: 25 }, (_, i): AuditEvent => ({
        action: 'server.publish',
        actor: { method: 'api-key', subject: 'ci', keyId: 'abcdefabcdef' },
        target: `com.acme/s@${i}`,
        outcome: 'success',
      }));
      await Promise.all(events.map((event) => wharf.audit.record(event)));
      const page = await wharf.audit.query({ limit: 100 });
      expect(page.events.map((e) => e.target)).toEqual(events.map((e) => e.target).reverse());
    } finally {
      await wharf.close();
      fs.rmSync(wharf.config.dataDir, { recursive: true, force: true });
    }
  });
});

describe('API key last use on shutdown', () => {
  it('writes the batched last-use times when Wharf closes', async () => {
    const database = await sqliteDatabase.create();
    const t = await createTestApp({ config: { database } });
    const { id, key } = await createKey(t, { permissions: [{ action: 'publish', resource: 'com.acme/*' }] });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      headers: bearer(key),
      payload: serverJson('com.acme/closing'),
    });
    expect(res.statusCode).toBe(200);
    await t.app.close();
    await t.wharf.close();

    const config = { ...loadConfig({ dataDir: t.wharf.config.dataDir }, { WHARF_LOG_LEVEL: 'silent' }), database };
    const reopened = await createWharf(config, createLogger('silent'));
    try {
      const row = await reopened.database.db
        .selectFrom('api_keys')
        .select('last_used_at')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.last_used_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    } finally {
      await reopened.close();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    }
  });
});
