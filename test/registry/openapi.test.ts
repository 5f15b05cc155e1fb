import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

describe('API description', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('describes every registry route under both prefixes at /openapi.json', async () => {
    const res = await t.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const spec = res.json();
    expect(spec.openapi).toBe('3.1.0');
    for (const prefix of ['/v0', '/v0.1']) {
      expect(Object.keys(spec.paths[`${prefix}/servers/{serverName}/versions/{version}`])).toEqual(
        expect.arrayContaining(['get', 'put', 'delete']),
      );
      expect(spec.paths[`${prefix}/publish`].post.operationId).toBe(`publish-server-${prefix.slice(1)}`);
      expect(spec.paths[`${prefix}/servers`].get.parameters.map((p: { name: string }) => p.name)).toEqual(
        expect.arrayContaining(['cursor', 'limit', 'search', 'version', 'updated_since', 'include_deleted']),
      );
    }
  });

  it('serves interactive documentation at /docs', async () => {
    const res = await t.app.inject({ url: '/docs' });
    const page = res.statusCode === 302 ? await t.app.inject({ url: String(res.headers.location) }) : res;
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
  });
});
