import http from 'node:http';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJson } from '../../auth/login/fakes/http-server.js';
import { FakeOidcIssuer } from '../../auth/login/fakes/oidc-issuer.js';
import { CONTEXT_TOOLS } from '../../mcp/support.js';
import { ADMIN_TOKEN } from '../../support/app.js';
import { bearer, connectModern, initialize, startGateway } from './support.js';
import type { GatewayTestServer } from './support.js';

const RULES = JSON.stringify([
  { claim: 'groups', contains: 'analysts', grant: [{ action: 'gateway_call', resource: 'search_*' }] },
  { claim: 'groups', contains: 'ops', grant: [{ action: 'gateway_call', resource: '*' }] },
]);

describe('gateway access: OAuth 2.1 resource server', () => {
  let issuer: FakeOidcIssuer;
  let t: GatewayTestServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    issuer = await new FakeOidcIssuer('ES256').start();
    t = await startGateway({
      WHARF_GATEWAY_AUTH: 'required',
      WHARF_GATEWAY_OAUTH_ISSUER: issuer.url,
      WHARF_GATEWAY_OAUTH_RULES: RULES,
      WHARF_GATEWAY_OAUTH_SCOPES: 'mcp:tools',
      WHARF_GATEWAY_DEFAULT_DECISION: 'deny',
      WHARF_GATEWAY_ALLOWED_ORIGINS: 'https://console.example.com',
    });
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await t?.close();
    await issuer?.stop();
  });

  const token = (claims: Record<string, unknown>, options: { audience?: string; expiresIn?: number } = {}) =>
    issuer.sign({ sub: 'alice', ...claims }, { audience: options.audience ?? t.url, ...options });

  it('publishes Protected Resource Metadata at the root and path-inserted well-known URIs', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const response = await fetch(`${t.origin}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        resource: t.url,
        authorization_servers: [issuer.url],
        bearer_methods_supported: ['header'],
        scopes_supported: ['mcp:tools'],
        resource_name: 'Wharf MCP gateway',
      });
    }
    const virtual = await fetch(`${t.origin}/.well-known/oauth-protected-resource/mcp/sales`);
    expect(((await virtual.json()) as { resource: string }).resource).toBe(`${t.url}/sales`);
  });

  it('answers an anonymous request with 401 and a WWW-Authenticate naming the metadata', async () => {
    const response = await fetch(t.url, initialize());
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${t.origin}/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"`,
    );
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
  });

  it('guards the deprecated /sse + /messages pair like /mcp', async () => {
    for (const [path, init] of [
      ['/sse', {}],
      ['/messages?sessionId=x', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }],
    ] as const) {
      const response = await fetch(`${t.origin}${path}`, init);
      expect(response.status, path).toBe(401);
      expect(response.headers.get('www-authenticate'), path).toBe(
        `Bearer resource_metadata="${t.origin}/.well-known/oauth-protected-resource/sse", scope="mcp:tools"`,
      );
    }
    const foreign = await fetch(`${t.origin}/sse`, { headers: { origin: 'https://evil.example.com' } });
    expect(foreign.status).toBe(403);
  });

  it('refuses invalid, foreign-audience and expired tokens with 401 invalid_token', async () => {
    const cases: Array<[string, RegExp]> = [
      ['not-a-token', /Invalid or expired Registry JWT token/],
      [
        await token({}, { audience: 'https://other.example.com/mcp' }),
        /invalid audience: expected .*\/mcp, got \[https:\/\/other/,
      ],
      [await token({}, { expiresIn: -60 }), /expired/],
      [await issuer.sign({ sub: 'alice' }), /invalid audience/],
    ];
    for (const [credential, message] of cases) {
      const response = await fetch(t.url, initialize(bearer(credential)));
      expect(response.status).toBe(401);
      const challenge = response.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(
        /^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/,
      );
      expect(challenge).toContain('error="invalid_token"');
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(message);
    }
  });

  it('maps token claims to gateway_call rules: analysts see and call only search_servers', async () => {
    const client = await connectModern(t.url, bearer(await token({ groups: ['analysts'] })));
    clients.push(client);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['search_servers']);
    const result = await client.callTool({ name: 'search_servers', arguments: { query: 'x' } });
    expect(result.isError).toBeFalsy();
    const refused = await client.callTool({ name: 'get_server', arguments: { name: 'a/b' } }).catch((e: Error) => e);
    // A tool the caller cannot see does not exist for them (error result or protocol error, per the SDK).
    const text = refused instanceof Error ? refused.message : JSON.stringify(refused);
    expect(text).toMatch(/get_server/);
    expect(refused instanceof Error || (refused as { isError?: boolean }).isError).toBeTruthy();
  });

  it('gives each principal its own view: ops sees every tool, a token without matching claims sees none', async () => {
    const ops = await connectModern(t.url, bearer(await token({ sub: 'bob', groups: ['ops'] })));
    const nobody = await connectModern(t.url, bearer(await token({ sub: 'eve', groups: ['guests'] })));
    clients.push(ops, nobody);
    expect((await ops.listTools()).tools.map((tool) => tool.name).sort()).toEqual(
      ['get_server', 'list_versions', 'search_servers', ...CONTEXT_TOOLS].sort(),
    );
    expect((await nobody.listTools()).tools).toEqual([]);
  });

  it('still accepts Wharf credentials (admin token) through the Authenticator', async () => {
    const admin = await connectModern(t.url, bearer(ADMIN_TOKEN));
    clients.push(admin);
    expect((await admin.listTools()).tools).toHaveLength(3 + CONTEXT_TOOLS.length);
  });

  it('validates Origin: own origin and configured origins pass, others get 403', async () => {
    const credential = bearer(ADMIN_TOKEN);
    const evil = await fetch(t.url, initialize({ ...credential, origin: 'http://evil.example' }));
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({
      error: { code: -32000, message: expect.stringMatching(/Invalid Origin/) },
    });
    // Refused before authentication: a rebinding page learns nothing about credentials.
    const evilAnonymous = await fetch(t.url, initialize({ origin: 'http://evil.example' }));
    expect(evilAnonymous.status).toBe(403);
    for (const origin of [t.origin, 'https://console.example.com']) {
      const ok = await fetch(t.url, initialize({ ...credential, origin }));
      expect(ok.status).toBe(200);
    }
  });

  it('refuses DNS rebinding: on loopback, a foreign Host name is refused even with its own Origin', async () => {
    const post = (host: string) => {
      const init = initialize({ ...bearer(ADMIN_TOKEN), host, origin: `http://${host}` });
      return new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(t.url, { method: 'POST', headers: init.headers as Record<string, string> }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end(init.body as string);
      });
    };
    const rebound = await post('evil.example');
    expect(rebound.status).toBe(403);
    expect(rebound.body).toMatch(/Invalid Host: evil\.example/);
    // Loopback names and the hosts of configured origins are served.
    expect((await post(`localhost:${new URL(t.url).port}`)).status).toBe(200);
    expect((await post('console.example.com')).status).toBe(200);
  });
});

describe('gateway access: optional authentication (default)', () => {
  let t: GatewayTestServer;
  beforeAll(async () => {
    t = await startGateway();
  });
  afterAll(async () => t?.close());

  it('serves anonymous callers, still challenges bad tokens, and documents no authorization server', async () => {
    expect((await fetch(t.url, initialize())).status).toBe(200);
    const bad = await fetch(t.url, initialize(bearer('garbage')));
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const prm = (await (await fetch(`${t.origin}/.well-known/oauth-protected-resource`)).json()) as Record<
      string,
      unknown
    >;
    expect(prm).toMatchObject({ resource: t.url, authorization_servers: [], bearer_methods_supported: ['header'] });
  });
});

describe('gateway access: an OAuth authorization server with RFC 8414 metadata only', () => {
  let issuer: FakeOidcIssuer;
  let t: GatewayTestServer;
  beforeAll(async () => {
    issuer = await new FakeOidcIssuer('RS256').start();
    const oidc = issuer.handle;
    // A plain OAuth 2.1 server: no OpenID discovery document, only /.well-known/oauth-authorization-server.
    issuer.handle = (req, res, body) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/.well-known/oauth-authorization-server') {
        return sendJson(res, 200, {
          issuer: issuer.url,
          jwks_uri: `${issuer.url}/keys`,
          token_endpoint: `${issuer.url}/token`,
        });
      }
      if (path === '/.well-known/openid-configuration') return sendJson(res, 404, {});
      return oidc(req, res, body);
    };
    t = await startGateway({
      WHARF_GATEWAY_AUTH: 'required',
      WHARF_GATEWAY_OAUTH_ISSUER: issuer.url,
      WHARF_GATEWAY_OAUTH_AUDIENCE: 'urn:wharf:gateway',
    });
  });
  afterAll(async () => {
    await t?.close();
    await issuer?.stop();
  });

  it('finds the keys through the OAuth metadata and checks the configured audience', async () => {
    const client = await connectModern(
      t.url,
      bearer(await issuer.sign({ sub: 'svc' }, { audience: 'urn:wharf:gateway' })),
    );
    try {
      expect((await client.listTools()).tools).toHaveLength(3 + CONTEXT_TOOLS.length);
    } finally {
      await client.close();
    }
    const foreign = await fetch(t.url, initialize(bearer(await issuer.sign({ sub: 'svc' }, { audience: t.url }))));
    expect(foreign.status).toBe(401);
    expect(((await foreign.json()) as { error: { message: string } }).error.message).toMatch(
      /invalid audience: expected urn:wharf:gateway/,
    );
    expect(issuer.requests.some((r) => r.url === '/.well-known/oauth-authorization-server')).toBe(true);
  });
});
