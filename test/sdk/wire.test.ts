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
 * Request shapes pinned with a recording loopback server: the login bodies, instances and contexts. API keys, the
 * audit log and the gateway run against a real Wharf in operations.test.ts.
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
});
