import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';

const OFFICIAL = 'io.modelcontextprotocol.registry/official';
const enc = encodeURIComponent;

describeEachDatabase('registry API', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ database });
  });
  afterAll(async () => t?.close());

  const publish = (body: unknown, headers: Record<string, string> = adminHeaders) =>
    t.app.inject({ method: 'POST', url: '/v0/publish', payload: body as object, headers });

  it('runs the official wire flow: auth/none → publish → list', async () => {
    const login = await t.app.inject({ method: 'POST', url: '/v0/auth/none' });
    expect(login.statusCode).toBe(200);
    const { registry_token, expires_at } = login.json();
    expect(expires_at).toBeGreaterThan(Date.now() / 1000);

    const name = 'io.modelcontextprotocol.anonymous/flow';
    const published = await publish(serverJson(name), { authorization: `Bearer ${registry_token}` });
    expect(published.statusCode).toBe(200);
    expect(published.headers['content-type']).toMatch(/^application\/json/);
    const body = published.json();
    expect(body.server).toEqual(serverJson(name));
    expect(body._meta[OFFICIAL]).toMatchObject({ status: 'active', isLatest: true });
    expect(Object.keys(body._meta[OFFICIAL])).toEqual([
      'status',
      'statusChangedAt',
      'publishedAt',
      'updatedAt',
      'isLatest',
    ]);

    const list = await t.app.inject({ url: '/v0/servers' });
    expect(list.statusCode).toBe(200);
    expect(list.json().servers.map((s: { server: { name: string } }) => s.server.name)).toContain(name);
    expect(list.json().metadata).toEqual({ count: list.json().servers.length });
  });

  it('serves identical handlers under /v0 and /v0.1', async () => {
    const a = await t.app.inject({ url: '/v0/servers?version=latest' });
    const b = await t.app.inject({ url: '/v0.1/servers?version=latest' });
    expect(a.body).toBe(b.body);
  });

  it('computes isLatest by semver, moves it on publish, and shows the flip to updated_since', async () => {
    const name = 'com.example/versions';
    for (const version of ['1.9.0', '1.10.0', '1.2.0', '1.10.0-beta.1']) {
      expect((await publish(serverJson(name, version))).statusCode).toBe(200);
    }
    const latest = await t.app.inject({ url: `/v0.1/servers/${enc(name)}/versions/latest` });
    expect(latest.json().server.version).toBe('1.10.0');

    const all = (await t.app.inject({ url: `/v0.1/servers/${enc(name)}/versions` })).json();
    const since = all.servers
      .map((s: { _meta: Record<string, { updatedAt: string }> }) => s._meta[OFFICIAL]?.updatedAt ?? '')
      .sort()
      .at(-1);
    expect((await publish(serverJson(name, '1.11.0'))).statusCode).toBe(200);
    const sync = await t.app.inject({ url: `/v0.1/servers?updated_since=${enc(since)}&search=versions` });
    const seen = sync
      .json()
      .servers.map((s: { server: { version: string }; _meta: Record<string, { isLatest: boolean }> }) => [
        s.server.version,
        s._meta[OFFICIAL]?.isLatest,
      ]);
    expect(seen).toEqual([
      ['1.10.0', false],
      ['1.11.0', true],
    ]);
  });

  it('lists all versions newest first and 404s unknown servers', async () => {
    const name = 'com.example/versions';
    const versions = await t.app.inject({ url: `/v0/servers/${enc(name)}/versions` });
    expect(versions.json().servers.map((s: { server: { version: string } }) => s.server.version)).toEqual([
      '1.11.0',
      '1.10.0-beta.1',
      '1.2.0',
      '1.10.0',
      '1.9.0',
    ]);
    expect(versions.json().metadata).toEqual({ count: 5 });
    const missing = await t.app.inject({ url: `/v0/servers/${enc('com.example/none')}/versions` });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.json()).toEqual({ title: 'Not Found', status: 404, detail: 'Server not found' });
    const exact = await t.app.inject({ url: `/v0/servers/${enc(name)}/versions/${enc('1.10.0-beta.1')}` });
    expect(exact.json()._meta[OFFICIAL].isLatest).toBe(false);
  });

  it('pages with cursors and gives the last page no cursor', async () => {
    for (let i = 0; i < 5; i += 1) await publish(serverJson(`com.example/page-${i}`));
    const seen: string[] = [];
    let url = '/v0.1/servers?search=page-&limit=2';
    for (let guard = 0; guard < 10; guard += 1) {
      const page = (await t.app.inject({ url })).json();
      seen.push(...page.servers.map((s: { server: { name: string } }) => s.server.name));
      if (!page.metadata.nextCursor) break;
      expect(page.metadata.count).toBe(2);
      url = `/v0.1/servers?search=page-&limit=2&cursor=${enc(page.metadata.nextCursor)}`;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `com.example/page-${i}`));
  });

  it('changes status, recomputes latest, hides deleted versions and restores them', async () => {
    const name = 'com.example/lifecycle';
    await publish(serverJson(name, '1.0.0'));
    await publish(serverJson(name, '2.0.0'));
    const path = `/v0/servers/${enc(name)}/versions/2.0.0/status`;
    const deleted = await t.app.inject({
      method: 'PATCH',
      url: path,
      headers: adminHeaders,
      payload: { status: 'deleted', statusMessage: 'broken build' },
    });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()._meta[OFFICIAL]).toMatchObject({
      status: 'deleted',
      statusMessage: 'broken build',
      isLatest: false,
    });
    expect((await t.app.inject({ url: `/v0/servers/${enc(name)}/versions/latest` })).json().server.version).toBe(
      '1.0.0',
    );
    expect((await t.app.inject({ url: `/v0/servers/${enc(name)}/versions/2.0.0` })).statusCode).toBe(404);
    expect(
      (await t.app.inject({ url: `/v0/servers/${enc(name)}/versions/2.0.0?include_deleted=true` })).statusCode,
    ).toBe(200);

    const again = await t.app.inject({
      method: 'PATCH',
      url: path,
      headers: adminHeaders,
      payload: { status: 'deleted', statusMessage: 'broken build' },
    });
    expect(again.statusCode).toBe(400);
    expect(again.json().detail).toBe('No changes to apply: status and message are already set to the provided values');

    const withMessage = await t.app.inject({
      method: 'PATCH',
      url: path,
      headers: adminHeaders,
      payload: { status: 'active', statusMessage: 'x' },
    });
    expect(withMessage.json().detail).toBe('status_message cannot be provided when setting status to active');

    const all = await t.app.inject({
      method: 'PATCH',
      url: `/v0/servers/${enc(name)}/status`,
      headers: adminHeaders,
      payload: { status: 'deprecated', statusMessage: 'moved to com.example/next' },
    });
    expect(all.statusCode).toBe(200);
    expect(all.json().updatedCount).toBe(2);
    expect((await t.app.inject({ url: `/v0/servers/${enc(name)}/versions/latest` })).json().server.version).toBe(
      '2.0.0',
    );
  });

  it('rejects duplicate versions, including deleted ones, and shared remote URLs', async () => {
    const dup = await publish(serverJson('com.example/lifecycle', '2.0.0'));
    expect(dup.statusCode).toBe(400);
    expect(dup.json()).toEqual({
      title: 'Bad Request',
      status: 400,
      detail: 'Failed to publish server',
      errors: [{ message: 'invalid version: cannot publish duplicate version' }],
    });
    const remote = { remotes: [{ type: 'streamable-http', url: 'https://mcp.example.com/one' }] };
    expect((await publish(serverJson('com.example/remote-a', '1.0.0', remote))).statusCode).toBe(200);
    expect((await publish(serverJson('com.example/remote-a', '1.1.0', remote))).statusCode).toBe(200);
    const taken = await publish(serverJson('com.example/remote-b', '1.0.0', remote));
    expect(taken.statusCode).toBe(400);
    expect(taken.json().errors[0].message).toBe(
      'remote URL https://mcp.example.com/one is already used by server com.example/remote-a',
    );
  });

  it('edits a version with edit permission, keeping name and version', async () => {
    const name = 'com.example/editable';
    await publish(serverJson(name, '1.0.0'));
    const url = `/v0/servers/${enc(name)}/versions/1.0.0`;
    const edited = await t.app.inject({
      method: 'PUT',
      url,
      headers: adminHeaders,
      payload: serverJson(name, '1.0.0', { description: 'Edited description' }),
    });
    expect(edited.statusCode).toBe(200);
    expect(edited.json().server.description).toBe('Edited description');
    const rename = await t.app.inject({
      method: 'PUT',
      url,
      headers: adminHeaders,
      payload: serverJson('com.example/other', '1.0.0'),
    });
    expect(rename.json().detail).toBe('Cannot rename server');
    const version = await t.app.inject({
      method: 'PUT',
      url,
      headers: adminHeaders,
      payload: serverJson(name, '9.9.9'),
    });
    expect(version.json().detail).toBe('Version in request body must match URL path parameter');
  });

  it('hard-deletes a version for administrators only', async () => {
    const name = 'io.modelcontextprotocol.anonymous/doomed';
    await publish(serverJson(name, '1.0.0'));
    const { registry_token } = (await t.app.inject({ method: 'POST', url: '/v0/auth/none' })).json();
    const url = `/v0/servers/${enc(name)}/versions/1.0.0`;
    const denied = await t.app.inject({
      method: 'DELETE',
      url,
      headers: { authorization: `Bearer ${registry_token}` },
    });
    expect(denied.statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url, headers: adminHeaders })).statusCode).toBe(204);
    expect((await t.app.inject({ url: `${url}?include_deleted=true` })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url, headers: adminHeaders })).statusCode).toBe(404);
  });
});

describe('registry API: authentication and authorisation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  const body = serverJson('com.example/secured');

  it('reports a missing Authorization header as the official 422', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v0/publish', payload: body });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      title: 'Unprocessable Entity',
      status: 422,
      detail: 'validation failed',
      errors: [{ message: 'required header parameter is missing', location: 'header.Authorization' }],
    });
  });

  it('rejects a malformed header and a bad token with the official 401s', async () => {
    const malformed = await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      payload: body,
      headers: { authorization: 'Token x' },
    });
    expect(malformed.statusCode).toBe(401);
    expect(malformed.json().detail).toBe("Invalid Authorization header format. Expected 'Bearer <token>'");
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      payload: body,
      headers: { authorization: 'Bearer abc.def.ghi' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().detail).toBe('Invalid or expired Registry JWT token');
    expect(bad.json().errors).toHaveLength(1);
  });

  it('rejects an expired token', async () => {
    const { RegistryTokens } = await import('../../src/auth/tokens.js');
    const { loadSigningKey } = await import('../../src/auth/signing-key.js');
    const past = new RegistryTokens(
      loadSigningKey(t.wharf.config.dataDir, undefined),
      60,
      () => new Date(Date.now() - 3_600_000),
    );
    const { registry_token } = await past.issue({
      authMethod: 'none',
      authMethodSub: 'x',
      permissions: [{ action: 'publish', resource: '*' }],
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      payload: body,
      headers: { authorization: `Bearer ${registry_token}` },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().errors[0].message).toBe('token has expired');
  });

  it('answers 403 with the namespaces the caller holds', async () => {
    const { registry_token } = (await t.app.inject({ method: 'POST', url: '/v0/auth/none' })).json();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      payload: body,
      headers: { authorization: `bearer ${registry_token}` },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toBe(
      'You do not have permission to publish this server. You have permission to publish: io.modelcontextprotocol.anonymous/*. Attempting to publish: com.example/secured',
    );
  });

  it('accepts the admin token case-insensitively on the scheme', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      payload: body,
      headers: { authorization: `BEARER ${ADMIN_TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
  });

  it('does not offer auth/none unless anonymous auth is enabled', async () => {
    const closed = await createTestApp({ env: { WHARF_AUTH_ANONYMOUS: 'false' } });
    try {
      expect((await closed.app.inject({ method: 'POST', url: '/v0/auth/none' })).statusCode).toBe(404);
    } finally {
      await closed.close();
    }
  });
});
