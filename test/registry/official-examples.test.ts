import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, createTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { SHARED_MISSING, officialExamples, sharedRegistryData } from '../support/shared-data.js';

const examples = officialExamples();
if (!sharedRegistryData) process.stderr.write(`[wharf tests] ${SHARED_MISSING}\n`);

describe.skipIf(!sharedRegistryData)('official example server.json files', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(30);
  });

  // Several examples share a name and version (or a remote URL), so each one is removed after its check.
  it.each(examples.map((e) => [e.file, e.document] as const))(
    '%s publishes and reads back identically',
    async (_file, document) => {
      const published = await t.app.inject({
        method: 'POST',
        url: '/v0/publish',
        headers: adminHeaders,
        payload: document,
      });
      expect(published.statusCode, published.body).toBe(200);
      expect(published.json().server).toEqual(document);

      const path = `/v0.1/servers/${encodeURIComponent(String(document.name))}/versions`;
      const latest = await t.app.inject({ url: `${path}/latest` });
      expect(latest.statusCode).toBe(200);
      expect(latest.json().server).toEqual(document);

      const validated = await t.app.inject({ method: 'POST', url: '/v0.1/validate', payload: document });
      expect(validated.json().issues.filter((i: { severity: string }) => i.severity === 'error')).toEqual([]);

      const removed = await t.app.inject({
        method: 'DELETE',
        url: `${path}/${encodeURIComponent(String(document.version))}`,
        headers: adminHeaders,
      });
      expect(removed.statusCode).toBe(204);
    },
  );
});
