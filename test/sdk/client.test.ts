import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WharfApiError, WharfClient, WharfNetworkError, WharfTimeoutError } from '../../src/sdk/index.js';
import type { ServerJSON, ServerResponse } from '../../src/sdk/index.js';
import { ADMIN_TOKEN, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const ANON = 'io.modelcontextprotocol.anonymous';
const doc = (name: string, version: string, extra: Record<string, unknown> = {}) =>
  serverJson(name, version, extra) as ServerJSON;

describe('WharfClient against a real Wharf', () => {
  let t: TestApp;
  let baseUrl: string;
  let anon: WharfClient;
  let admin: WharfClient;

  beforeAll(async () => {
    t = await createTestApp();
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const login = await new WharfClient({ baseUrl }).loginNone();
    expect(login.registry_token).toMatch(/^ey/);
    expect(login.expires_at).toBeGreaterThan(Date.now() / 1000);
    anon = new WharfClient({ baseUrl, token: login.registry_token });
    admin = new WharfClient({ baseUrl, token: ADMIN_TOKEN });
  });
  afterAll(async () => t?.close());

  it('publishes, then reads back with get, versions, list pages and search', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
      const published = await anon.publish(doc(`${ANON}/sdk-alpha`, v));
      expect(published.server.version).toBe(v);
      expect(published._meta['io.modelcontextprotocol.registry/official']?.isLatest).toBe(true);
    }
    for (let i = 0; i < 5; i += 1) await anon.publish(doc(`${ANON}/sdk-beta-${i}`, '0.1.0'));

    const latest = await anon.get(`${ANON}/sdk-alpha`);
    expect(latest.server.version).toBe('1.2.0');
    expect((await anon.get(`${ANON}/sdk-alpha`, '1.0.0')).server.version).toBe('1.0.0');
    expect((await anon.versions(`${ANON}/sdk-alpha`)).map((s) => s.server.version)).toEqual([
      '1.2.0',
      '1.1.0',
      '1.0.0',
    ]);

    // limit 2 forces several pages; the iterator follows nextCursor to the end.
    const pages: number[] = [];
    for await (const page of anon.pages({ limit: 2 })) pages.push(page.servers.length);
    expect(pages.length).toBeGreaterThan(3);
    const all: ServerResponse[] = [];
    for await (const s of anon.list({ limit: 2 })) all.push(s);
    expect(all).toHaveLength(8);
    const latestOnly: string[] = [];
    for await (const s of anon.list({ version: 'latest', limit: 3 })) latestOnly.push(s.server.name);
    expect(latestOnly).toHaveLength(6);

    const found: string[] = [];
    for await (const s of anon.search('sdk-beta', { version: 'latest', limit: 2 })) found.push(s.server.name);
    expect(found.sort()).toEqual([0, 1, 2, 3, 4].map((i) => `${ANON}/sdk-beta-${i}`));
  });

  it('changes status of one version and of all versions', async () => {
    await anon.publish(doc(`${ANON}/sdk-status`, '1.0.0'));
    await anon.publish(doc(`${ANON}/sdk-status`, '2.0.0'));
    const one = await anon.setStatus(`${ANON}/sdk-status`, '1.0.0', {
      status: 'deprecated',
      statusMessage: 'use 2.x',
    });
    expect(one._meta['io.modelcontextprotocol.registry/official']).toMatchObject({
      status: 'deprecated',
      statusMessage: 'use 2.x',
    });
    const all = await anon.setStatusAllVersions(`${ANON}/sdk-status`, { status: 'deleted', statusMessage: 'gone' });
    expect(all.updatedCount).toBe(2);
    const gone = await anon.get(`${ANON}/sdk-status`).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(WharfApiError);
    expect((gone as WharfApiError).status).toBe(404);
    const hidden = await anon.get(`${ANON}/sdk-status`, '2.0.0', { includeDeleted: true });
    expect(hidden._meta['io.modelcontextprotocol.registry/official']?.status).toBe('deleted');
  });

  it('edits and deletes a version with an admin token', async () => {
    await admin.publish(doc('com.example/sdk-edit', '1.0.0'));
    const edited = await admin.edit(
      'com.example/sdk-edit',
      '1.0.0',
      doc('com.example/sdk-edit', '1.0.0', {
        description: 'edited by the SDK',
      }),
    );
    expect(edited.server.description).toBe('edited by the SDK');
    await admin.delete('com.example/sdk-edit', '1.0.0');
    await expect(admin.get('com.example/sdk-edit', '1.0.0', { includeDeleted: true })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('validates remotely with the same report as the offline rules', async () => {
    const ok = await anon.validate(doc(`${ANON}/sdk-valid`, '1.0.0'));
    expect(ok).toEqual({ valid: true, issues: [] });
    const bad = await anon.validate(doc(`${ANON}/sdk-valid`, 'latest'));
    expect(bad.valid).toBe(false);
    expect(bad.issues[0]).toMatchObject({ path: 'version', reference: 'reserved-version-string', severity: 'error' });
  });

  it('turns problem+json answers into WharfApiError with status, title, detail and errors', async () => {
    const unauthenticated = new WharfClient({ baseUrl });
    const noToken = await unauthenticated.publish(doc(`${ANON}/x-no-token`, '1.0.0')).catch((e: unknown) => e);
    expect(noToken).toBeInstanceOf(WharfApiError);
    // As upstream: a missing Authorization header is a huma request-validation failure.
    expect(noToken).toMatchObject({ status: 422, title: 'Unprocessable Entity' });
    expect((noToken as WharfApiError).errors[0]).toMatchObject({ location: 'header.Authorization' });
    const badToken = await new WharfClient({ baseUrl, token: 'not-a-jwt' })
      .publish(doc(`${ANON}/x-bad-token`, '1.0.0'))
      .catch((e: unknown) => e);
    expect(badToken).toMatchObject({ status: 401, title: 'Unauthorized' });

    const forbidden = await anon.publish(doc('com.example/not-mine', '1.0.0')).catch((e: unknown) => e);
    expect(forbidden).toMatchObject({ status: 403 });
    expect((forbidden as WharfApiError).detail).toContain('You do not have permission to publish this server');

    const shape = await anon
      .publish({ ...doc(`${ANON}/x-shape`, '1.0.0'), unknownField: 1 } as ServerJSON)
      .catch((e: unknown) => e);
    expect(shape).toMatchObject({ status: 422, detail: 'validation failed' });
    expect((shape as WharfApiError).errors[0]).toMatchObject({ message: 'unexpected property' });
    expect((shape as WharfApiError).problem.title).toBe('Unprocessable Entity');

    const duplicate = await anon.publish(doc(`${ANON}/sdk-alpha`, '1.0.0')).catch((e: unknown) => e);
    expect(duplicate).toMatchObject({ status: 400, detail: 'Failed to publish server' });
    expect((duplicate as WharfApiError).errors[0]?.message).toContain('duplicate version');
  });

  it('speaks the /v0 prefix too, and the service endpoints', async () => {
    const v0 = new WharfClient({ baseUrl, apiVersion: 'v0' });
    expect((await v0.get(`${ANON}/sdk-alpha`)).server.version).toBe('1.2.0');
    expect(await v0.health()).toMatchObject({ status: 'ok' });
    expect(await v0.ping()).toEqual({ pong: true });
    expect((await anon.version()).version).toMatch(/^v\d/);
  });

  it('reports a refused connection as WharfNetworkError', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const client = new WharfClient({ baseUrl: `http://127.0.0.1:${port}`, retry: false });
    const error = await client.health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WharfNetworkError);
    expect(String(error)).toContain('ECONNREFUSED');
  });

  describe('against a server that never answers', () => {
    let hang: http.Server;
    let hangUrl: string;
    beforeAll(async () => {
      hang = http.createServer(() => {});
      await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
      hangUrl = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      hang.closeAllConnections();
      await new Promise((r) => hang.close(r));
    });

    it('times out each attempt with WharfTimeoutError', async () => {
      const client = new WharfClient({ baseUrl: hangUrl, timeoutMs: 50, retry: false });
      const error = await client.health().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WharfTimeoutError);
      expect((error as WharfTimeoutError).timeoutMs).toBe(50);
    });

    it('stops at once when the caller aborts, with the caller’s reason', async () => {
      const client = new WharfClient({ baseUrl: hangUrl, timeoutMs: 10_000 });
      const controller = new AbortController();
      const pending = client.health({ signal: controller.signal });
      setTimeout(() => controller.abort(new Error('user cancelled')), 20);
      await expect(pending).rejects.toThrow('user cancelled');
    });
  });
});
