import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WharfApiError, WharfClient } from '../../src/sdk/index.js';
import type { AuditEvent, ServerJSON } from '../../src/sdk/index.js';
import { ADMIN_TOKEN, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const UPSTREAM_KEY = 'sdk-upstream-key-s3cr3t';
const TOY_HOST = 'toy.sdk.example.com';

describe('WharfClient operator calls against a real Wharf: API keys, audit log, gateway', () => {
  let t: TestApp;
  let admin: WharfClient;
  let baseUrl: string;

  beforeAll(async () => {
    t = await createTestApp({
      env: { WHARF_SECRET_KEY: 'sdk-operations-secret-key-0123456789abcdef' },
    });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    admin = new WharfClient({ baseUrl, token: ADMIN_TOKEN });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates, lists, reads and revokes API keys; the key works until revoked', async () => {
    const created = await admin.createKey({
      name: 'sdk-ci',
      description: 'the SDK test',
      permissions: [{ action: 'publish', resource: 'com.sdkops/*' }],
      expires_at: '2099-01-01T00:00:00Z',
    });
    expect(created.key).toMatch(new RegExp(`^wharf_${created.id}_[A-Za-z0-9_-]{43}$`));
    expect(created).toMatchObject({
      name: 'sdk-ci',
      description: 'the SDK test',
      permissions: [{ action: 'publish', resource: 'com.sdkops/*' }],
      expires_at: '2099-01-01T00:00:00.000Z',
      revoked_at: null,
    });

    const keyClient = new WharfClient({ baseUrl, token: created.key });
    const published = await keyClient.publish(serverJson('com.sdkops/weather', '1.0.0') as ServerJSON);
    expect(published.server.name).toBe('com.sdkops/weather');
    // A key reads its own record; listing needs an administrator.
    expect((await keyClient.getKey(created.id)).name).toBe('sdk-ci');
    const refused = await keyClient.listKeys().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WharfApiError);
    expect((refused as WharfApiError).status).toBe(403);

    expect((await admin.listKeys()).map((k) => k.id)).toContain(created.id);
    const revoked = await admin.revokeKey(created.id);
    expect(revoked.revoked_at).not.toBeNull();
    expect(revoked.revoked_by).toBe('admin-token:admin');
    expect((await admin.listKeys()).map((k) => k.id)).not.toContain(created.id);
    expect((await admin.listKeys({ includeRevoked: true })).map((k) => k.id)).toContain(created.id);

    const again = await admin.revokeKey(created.id).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(WharfApiError);
    expect((again as WharfApiError).status).toBe(409);
    expect((again as WharfApiError).detail).toContain('already revoked');
    const afterRevoke = await keyClient
      .publish(serverJson('com.sdkops/weather', '2.0.0') as ServerJSON)
      .catch((e) => e);
    expect((afterRevoke as WharfApiError).status).toBe(401);

    const bad = await admin
      .createKey({ name: 'bad', permissions: [{ action: 'publish', resource: 'com.*.acme' }] })
      .catch((e: unknown) => e);
    expect((bad as WharfApiError).status).toBe(400);
  });

  it('reads the audit log with filters and follows its pages', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0']) {
      await admin.publish(serverJson('com.sdkops/audited', v) as ServerJSON);
    }
    const first = await admin.auditPage({ server: 'com.sdkops/audited', limit: 2 });
    expect(first.events).toHaveLength(2);
    expect(first.metadata.nextCursor).toBeDefined();
    expect(first.events[0]).toMatchObject({
      action: 'server.publish',
      outcome: 'success',
      target: 'com.sdkops/audited@1.4.0',
      actor: { method: 'admin-token' },
    });

    const all: AuditEvent[] = [];
    for await (const event of admin.audit({ server: 'com.sdkops/audited', limit: 2 })) all.push(event);
    expect(all.map((e) => e.target)).toEqual(
      ['1.4.0', '1.3.0', '1.2.0', '1.1.0', '1.0.0'].map((v) => `com.sdkops/audited@${v}`),
    );

    const denied = await admin.auditPage({ outcome: 'denied', action: 'server.publish' });
    expect(denied.events.every((e) => e.outcome === 'denied')).toBe(true);
    const future = await admin.auditPage({ since: '2099-01-01T00:00:00Z' });
    expect(future.events).toEqual([]);
    expect(future.metadata.nextCursor).toBeUndefined();
    const badTime = await admin.auditPage({ since: 'yesterday' }).catch((e: unknown) => e);
    expect((badTime as WharfApiError).status).toBe(400);
    expect((badTime as WharfApiError).detail).toContain('Invalid since');
  });

  it('attaches, updates and detaches upstreams, and manages virtual servers', async () => {
    await admin.publish(
      serverJson('com.sdkops/toy', '1.0.0', {
        remotes: [
          {
            type: 'streamable-http',
            url: `https://${TOY_HOST}/{endpoint}`,
            variables: { endpoint: { description: 'path', default: 'mcp' } },
            headers: [{ name: 'X-Api-Key', description: 'API key', isRequired: true, isSecret: true }],
          },
        ],
      }) as ServerJSON,
    );
    const attached = await admin.attachUpstream({
      server: 'com.sdkops/toy',
      alias: 'toy',
      headers: { 'X-Api-Key': UPSTREAM_KEY },
    });
    expect(attached).toMatchObject({
      alias: 'toy',
      server: 'com.sdkops/toy',
      version: '1.0.0',
      transport: 'streamable-http',
      url: `https://${TOY_HOST}/mcp`,
      headers: { 'X-Api-Key': '********' },
    });
    expect(JSON.stringify(attached)).not.toContain(UPSTREAM_KEY);

    // Upstreams connect on first use (an MCP client through /mcp); until then they are not ready.
    expect(attached.status).toMatchObject({ state: expect.any(String), breaker: 'closed', toolCount: 0 });
    const listed = await admin.listUpstreams();
    expect(listed.map((u) => u.alias)).toEqual(['toy']);
    expect(await admin.getUpstream('toy')).toMatchObject({ alias: 'toy', headers: { 'X-Api-Key': '********' } });

    const updated = await admin.updateUpstream('toy', { variables: { endpoint: 'mcp' } });
    expect(updated.headers).toEqual({ 'X-Api-Key': '********' });
    const conflict = await admin
      .attachUpstream({ server: 'com.sdkops/toy', alias: 'toy', headers: { 'X-Api-Key': 'x' } })
      .catch((e: unknown) => e);
    expect((conflict as WharfApiError).status).toBe(409);

    const vs = await admin.createVirtualServer({ name: 'echo-only', description: 'just echo', tools: ['toy__echo'] });
    expect(vs).toMatchObject({ name: 'echo-only', path: '/mcp/echo-only', tools: ['toy__echo'] });
    const changed = await admin.updateVirtualServer('echo-only', { tools: ['toy__*'] });
    expect(changed).toMatchObject({ description: 'just echo', tools: ['toy__*'] });
    expect((await admin.getVirtualServer('echo-only')).tools).toEqual(['toy__*']);
    expect((await admin.listVirtualServers()).map((v) => v.name)).toEqual(['echo-only']);
    const badTools = await admin
      .createVirtualServer({ name: 'bad', tools: ['no spaces allowed'] })
      .catch((e: unknown) => e);
    expect((badTools as WharfApiError).status).toBe(422);
    expect((badTools as WharfApiError).errors[0]?.location).toBe('body.tools');

    await admin.deleteVirtualServer('echo-only');
    expect(await admin.listVirtualServers()).toEqual([]);
    await admin.detachUpstream('toy');
    expect(await admin.listUpstreams()).toEqual([]);
    const gone = await admin.detachUpstream('toy').catch((e: unknown) => e);
    expect((gone as WharfApiError).status).toBe(404);
  });
});
