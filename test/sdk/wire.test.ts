import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WharfClient } from '../../src/sdk/index.js';

interface Recorded {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  ifMatch: string | undefined;
  body: unknown;
}

/**
 * The endpoints whose server side lands with other issues (3, 5, 6, 9): a loopback server records what the SDK sends,
 * so the request shapes written from the issue texts are pinned down until the real endpoints exist.
 */
describe('the SDK’s requests for endpoints that land with other issues', () => {
  let server: http.Server;
  let client: WharfClient;
  const recorded: Recorded[] = [];
  let reply: { status: number; body: unknown; headers?: Record<string, string> } = { status: 200, body: {} };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        recorded.push({
          method: req.method ?? '',
          url: req.url ?? '',
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          ifMatch: req.headers['if-match'] as string | undefined,
          body: data === '' ? undefined : JSON.parse(data),
        });
        const headers = { 'content-type': 'application/json', ...reply.headers };
        if (reply.status === 204) res.writeHead(204, headers).end();
        else res.writeHead(reply.status, headers).end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = new WharfClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'admin' });
  });
  afterAll(async () => new Promise((r) => server.close(r)));

  const last = () => recorded[recorded.length - 1];

  it('posts the official login bodies', async () => {
    reply = { status: 200, body: { registry_token: 'jwt', expires_at: 1 } };
    await client.loginGitHub('gho_x');
    expect(last()).toMatchObject({ method: 'POST', url: '/v0.1/auth/github-at', body: { github_token: 'gho_x' } });
    await client.loginGitHubOidc('oidc');
    expect(last()).toMatchObject({ url: '/v0.1/auth/github-oidc', body: { oidc_token: 'oidc' } });
    await client.loginOidc('idt');
    expect(last()).toMatchObject({ url: '/v0.1/auth/oidc', body: { oidc_token: 'idt' } });
    const proof = { domain: 'example.com', timestamp: '2026-01-01T00:00:00Z', signed_timestamp: 'ab' };
    await client.loginDns(proof);
    expect(last()).toMatchObject({ url: '/v0.1/auth/dns', body: proof });
    await client.loginHttp(proof);
    expect(last()).toMatchObject({ url: '/v0.1/auth/http', body: proof });
    await client.loginKey('wharf_secret');
    expect(last()).toMatchObject({ url: '/v0.1/auth/key', body: { key: 'wharf_secret' } });
    await client.loginNone();
    expect(last()).toMatchObject({ url: '/v0.1/auth/none', body: undefined });
  });

  it('manages API keys and reads the audit log page by page', async () => {
    reply = { status: 201, body: { id: 'k1', key: 'wharf_x', permissions: [] } };
    const created = await client.createKey({
      name: 'ci',
      permissions: [{ action: 'publish', resource: 'com.acme/*' }],
    });
    expect(created.key).toBe('wharf_x');
    expect(last()).toMatchObject({ method: 'POST', url: '/api/v1/keys', authorization: 'Bearer admin' });
    reply = { status: 200, body: { keys: [{ id: 'k1', permissions: [] }] } };
    expect(await client.listKeys()).toEqual([{ id: 'k1', permissions: [] }]);
    reply = { status: 204, body: undefined };
    await client.revokeKey('k/1');
    expect(last()).toMatchObject({ method: 'DELETE', url: '/api/v1/keys/k%2F1' });

    const pages = [
      { entries: [{ id: 'a' }, { id: 'b' }], metadata: { nextCursor: 'c1' } },
      { entries: [{ id: 'c' }], metadata: {} },
    ];
    const seen: string[] = [];
    reply = { status: 200, body: pages[0] };
    for await (const entry of client.audit({ actor: 'alice', limit: 2 })) {
      seen.push(String(entry.id));
      // The iterator asks for the next page only after the first one is consumed: switch the canned answer.
      if (seen.length === 2) reply = { status: 200, body: pages[1] };
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(recorded.slice(-2).map((r) => r.url)).toEqual([
      '/api/v1/audit?actor=alice&limit=2',
      '/api/v1/audit?actor=alice&limit=2&cursor=c1',
    ]);
  });

  it('registers an instance and heartbeats with the instance token', async () => {
    reply = { status: 201, body: { id: 'i1', token: 'inst', ttlSeconds: 30, heartbeatIntervalSeconds: 10 } };
    const instance = await client.registerInstance({ server: 'com.acme/w', url: 'https://w.acme.com/mcp' });
    expect(last()).toMatchObject({ method: 'POST', url: '/api/v1/instances', body: { server: 'com.acme/w' } });
    reply = { status: 200, body: { state: 'passing' } };
    await client.heartbeat(instance.id, instance.token, { note: 'ok' });
    expect(last()).toMatchObject({
      method: 'PUT',
      url: '/api/v1/instances/i1/heartbeat',
      authorization: 'Bearer inst',
      body: { note: 'ok' },
    });
    reply = { status: 204, body: undefined };
    await client.deregisterInstance(instance.id, instance.token);
    expect(last()).toMatchObject({ method: 'DELETE', url: '/api/v1/instances/i1', authorization: 'Bearer inst' });
    reply = { status: 200, body: [{ id: 'i1', server: 'com.acme/w', url: 'u' }] };
    expect(await client.listInstances({ server: 'com.acme/w' })).toHaveLength(1);
    expect(last()?.url).toBe('/api/v1/instances?server=com.acme%2Fw');
  });

  it('creates, patches and deletes contexts with ETags', async () => {
    const context = { context_id: 'c1', created_at: '', last_updated: '', expires_at: null, payload: { data: {} } };
    reply = { status: 201, body: context, headers: { etag: '"1"' } };
    const created = await client.createContext({ data: { a: 1 } }, { ttlSeconds: 0, id: 'c1' });
    expect(created.etag).toBe('"1"');
    expect(last()).toMatchObject({
      method: 'POST',
      url: '/api/v1/contexts?ttl_seconds=0',
      body: { data: { a: 1 }, context_id: 'c1' },
    });
    reply = { status: 200, body: context, headers: { etag: '"2"' } };
    const patched = await client.patchContext('c1', { data: { a: null } }, { ifMatch: created.etag });
    expect(patched.etag).toBe('"2"');
    expect(last()).toMatchObject({
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      ifMatch: '"1"',
    });
    await client.putContext('c1', { data: { b: 2 } }, { ttlSeconds: 60 });
    expect(last()).toMatchObject({ method: 'PUT', url: '/api/v1/contexts/c1?ttl_seconds=60' });
    reply = { status: 204, body: undefined };
    await client.deleteContext('c1', { ifMatch: '"2"' });
    expect(last()).toMatchObject({ method: 'DELETE', ifMatch: '"2"' });
  });

  it('attaches, updates and detaches gateway upstreams', async () => {
    reply = { status: 201, body: { id: 'u1', server: 'com.acme/w' } };
    await client.attachUpstream({ server: 'com.acme/w', alias: 'w', variables: { region: 'eu' } });
    expect(last()).toMatchObject({ method: 'POST', url: '/api/v1/gateway/upstreams', body: { alias: 'w' } });
    reply = { status: 200, body: { id: 'u1', server: 'com.acme/w' } };
    await client.updateUpstream('u1', { alias: 'weather' });
    expect(last()).toMatchObject({ method: 'PATCH', url: '/api/v1/gateway/upstreams/u1' });
    reply = { status: 200, body: { upstreams: [{ id: 'u1', server: 'com.acme/w' }] } };
    expect(await client.listUpstreams()).toHaveLength(1);
    reply = { status: 204, body: undefined };
    await client.detachUpstream('u1');
    expect(last()).toMatchObject({ method: 'DELETE', url: '/api/v1/gateway/upstreams/u1' });
  });
});
