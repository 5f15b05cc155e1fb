import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { FakeOidcIssuer, unsignedToken } from './fakes/oidc-issuer.js';
import { claimsOf, createLoginApp } from './support.js';
import type { LoginTestApp } from './support.js';

const RULES = [
  { claim: 'groups', contains: 'platform', grant: [{ action: 'publish', resource: 'com.acme/*' }] },
  { claim: 'email', endsWith: '@acme.com', grant: [{ action: 'edit', resource: '*' }] },
  { claim: 'team', present: true, grant: [{ action: 'publish', resource: 'com.acme.{claim:team}/*' }] },
];

describe('auth/oidc (generic OIDC with claim rules)', () => {
  const issuer = new FakeOidcIssuer('ES256');
  let app: LoginTestApp;
  let clockMs = Date.now();
  const sign = (claims: Record<string, unknown>, options: Parameters<FakeOidcIssuer['sign']>[1] = {}) =>
    issuer.sign(claims, { audience: 'wharf', ...options });

  beforeAll(async () => {
    await issuer.start();
    app = await createLoginApp(
      {
        WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
        WHARF_OIDC_ISSUER: issuer.url,
        WHARF_OIDC_AUDIENCE: 'wharf',
        WHARF_OIDC_RULES: JSON.stringify(RULES),
      },
      { login: { now: () => new Date(clockMs) } },
    );
  });
  afterAll(async () => {
    await app?.close();
    await issuer.stop();
  });

  it('maps claims to permissions: group → publish, email domain → edit, templated namespace', async () => {
    const alice = await sign({ sub: 'alice', groups: ['platform', 'dev'], email: 'alice@acme.com' });
    const res = await app.post('/v0/auth/oidc', { oidc_token: alice });
    expect(res.statusCode, res.body).toBe(200);
    expect(claimsOf(res)).toMatchObject({
      auth_method: 'oidc',
      auth_method_sub: 'alice',
      permissions: [
        { action: 'publish', resource: 'com.acme/*' },
        { action: 'edit', resource: '*' },
      ],
    });
    const carol = await sign({ sub: 'carol', team: 'payments', email: 'carol@contractor.io' });
    const team = await app.post('/v0.1/auth/oidc', { oidc_token: carol });
    expect(claimsOf(team).permissions).toEqual([{ action: 'publish', resource: 'com.acme.payments/*' }]);
    expect(issuer.requests.some((r) => r.url === '/.well-known/openid-configuration')).toBe(true);
    expect(app.audit.events.at(-1)).toMatchObject({ actor: { method: 'oidc', subject: 'carol' }, outcome: 'success' });
  });

  it('refuses an identity no rule grants anything, and a template value that would widen the pattern', async () => {
    for (const claims of [
      { sub: 'bob', groups: ['sales'], email: 'bob@gmail.com' },
      { sub: 'mallory', team: '*' },
    ]) {
      const res = await app.post('/v0/auth/oidc', { oidc_token: await sign(claims) });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({
        title: 'Unauthorized',
        status: 401,
        detail: 'Token exchange failed',
        errors: [
          {
            message:
              'no permission rule (WHARF_OIDC_RULES) matches this identity; ask your registry administrator for access',
          },
        ],
      });
    }
    expect(app.audit.events.at(-1)).toMatchObject({ actor: { subject: 'mallory' }, outcome: 'denied' });
  });

  it.each([
    [
      'a wrong audience',
      () => sign({ sub: 'alice', groups: ['platform'] }, { audience: 'other-app' }),
      'invalid audience: expected wharf, got [other-app]',
    ],
    ['an expired token', () => sign({ sub: 'alice', groups: ['platform'] }, { expiresIn: -600 }), 'token is expired'],
    [
      'an unsigned token',
      async () => unsignedToken({ sub: 'alice', groups: ['platform'], iss: issuer.url, aud: 'wharf', exp: 9e9 }),
      'token is unsigned or uses a signing algorithm that is not allowed',
    ],
    [
      'a foreign issuer',
      () => sign({ sub: 'alice', groups: ['platform'] }, { issuer: 'https://login.example' }),
      'invalid issuer',
    ],
  ])('refuses %s', async (_label, makeToken, reason) => {
    const res = await app.post('/v0/auth/oidc', { oidc_token: await makeToken() });
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toBe('Token exchange failed');
    expect(res.json().errors[0].message).toContain('failed to validate OIDC token: ');
    expect(res.json().errors[0].message).toContain(reason);
  });

  it('picks up a rotated signing key by refetching the JWKS on an unknown kid, at most once per cooldown', async () => {
    const claims = { sub: 'alice', groups: ['platform'] };
    expect((await app.post('/v0/auth/oidc', { oidc_token: await sign(claims) })).statusCode).toBe(200);
    const baseline = issuer.jwksFetches;

    const next = await issuer.rotate(); // new key, not yet in the published set
    const early = await app.post('/v0/auth/oidc', { oidc_token: await sign(claims, { kid: next }) });
    expect(early.statusCode).toBe(401);
    expect(early.json().errors[0].message).toContain('no key in the issuer key set matches the token (kid)');
    // Forged or premature kids cannot make Wharf hammer the issuer: a burst causes at most one refetch.
    for (let i = 0; i < 5; i++) await app.post('/v0/auth/oidc', { oidc_token: await sign(claims, { kid: next }) });
    expect(issuer.jwksFetches - baseline).toBeLessThanOrEqual(1);

    issuer.publish();
    clockMs += 31_000;
    const rotated = await app.post('/v0/auth/oidc', { oidc_token: await sign(claims, { kid: next }) });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const afterRotation = issuer.jwksFetches;
    // Tokens signed with either published key now verify from the cache.
    expect((await app.post('/v0/auth/oidc', { oidc_token: await sign(claims, { kid: 'key-1' }) })).statusCode).toBe(
      200,
    );
    expect(issuer.jwksFetches).toBe(afterRotation);

    // Cached keys expire after ten minutes and are fetched again.
    clockMs += 11 * 60_000;
    const later = await issuer.sign(claims, { audience: 'wharf', expiresIn: 3600 });
    expect((await app.post('/v0/auth/oidc', { oidc_token: later })).statusCode).toBe(200);
    expect(issuer.jwksFetches).toBe(afterRotation + 1);

    // An issuer outage after the cache expires keeps known keys working instead of locking everyone out.
    issuer.jwksDown = true;
    clockMs += 11 * 60_000;
    const during = await issuer.sign(claims, { audience: 'wharf', expiresIn: 3600 });
    expect((await app.post('/v0/auth/oidc', { oidc_token: during })).statusCode).toBe(200);
    expect(issuer.jwksFetches).toBe(afterRotation + 2);
    issuer.jwksDown = false;
  });

  it('is not mounted when WHARF_OIDC_ISSUER is not set (the official 404)', async () => {
    const plain = await createLoginApp({});
    try {
      const res = await plain.post('/v0/auth/oidc', { oidc_token: 'x' });
      expect(res.statusCode).toBe(404);
      expect(res.json().detail).toBe('Endpoint not found. See /docs for the API documentation.');
    } finally {
      await plain.close();
    }
  });
});

describe('OIDC login settings', () => {
  const base = { WHARF_OIDC_ISSUER: 'https://login.acme.com', WHARF_OIDC_AUDIENCE: 'wharf' };

  it('reads rules from WHARF_OIDC_RULES or a file named by WHARF_OIDC_RULES_FILE', () => {
    const inline = loadConfig({}, { ...base, WHARF_OIDC_RULES: JSON.stringify(RULES) });
    expect(inline.login.oidc).toEqual({ issuer: 'https://login.acme.com', audience: 'wharf', rules: RULES });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-rules-')), 'rules.json');
    fs.writeFileSync(file, JSON.stringify(RULES));
    expect(loadConfig({}, { ...base, WHARF_OIDC_RULES_FILE: file }).login.oidc?.rules).toEqual(RULES);
  });

  it('defaults: GitHub endpoints, audience mcp-registry, https well-known URL, system DNS, OIDC off', () => {
    expect(loadConfig({}, {}).login).toEqual({
      githubApiUrl: 'https://api.github.com',
      githubOidcIssuer: 'https://token.actions.githubusercontent.com',
      githubOidcAudience: 'mcp-registry',
      dnsResolver: undefined,
      httpAuthUrlTemplate: 'https://{domain}/.well-known/mcp-registry-auth',
      oidc: undefined,
    });
  });

  it.each([
    [{ ...base, WHARF_OIDC_RULES: '[{' }, 'WHARF_OIDC_RULES = "[{": is not valid JSON'],
    [
      { ...base, WHARF_OIDC_RULES: '[{"claim":"groups","grant":[{"action":"publish","resource":"x/*"}]}]' },
      'WHARF_OIDC_RULES = ',
    ],
    [
      { ...base, WHARF_OIDC_RULES: '[{"claim":"g","equals":"a","grant":[{"action":"own","resource":"x/*"}]}]' },
      'action must be one of publish, edit, admin',
    ],
    [
      { ...base, WHARF_OIDC_RULES_FILE: '/nonexistent/rules.json' },
      'WHARF_OIDC_RULES_FILE = "/nonexistent/rules.json": cannot be read (ENOENT)',
    ],
    [{ ...base, WHARF_OIDC_RULES: '[]', WHARF_OIDC_RULES_FILE: '/x' }, 'WHARF_OIDC_RULES_FILE'],
    [
      { WHARF_OIDC_ISSUER: 'https://login.acme.com', WHARF_OIDC_RULES: '[]' },
      'WHARF_OIDC_AUDIENCE: required with WHARF_OIDC_ISSUER',
    ],
    [
      { WHARF_OIDC_ISSUER: 'https://login.acme.com', WHARF_OIDC_AUDIENCE: 'w' },
      'WHARF_OIDC_RULES (or WHARF_OIDC_RULES_FILE): required',
    ],
    [{ WHARF_OIDC_AUDIENCE: 'w' }, 'WHARF_OIDC_ISSUER: required'],
    [{ WHARF_DNS_RESOLVER: 'dns.google' }, 'WHARF_DNS_RESOLVER = "dns.google": must be the IP address of a DNS server'],
    [{ WHARF_HTTP_AUTH_URL_TEMPLATE: 'https://example.com/x' }, 'WHARF_HTTP_AUTH_URL_TEMPLATE'],
    [{ WHARF_GITHUB_API_URL: 'api.github.com' }, 'WHARF_GITHUB_API_URL = "api.github.com": must be an http(s) URL'],
  ])('refuses %j naming the setting', (env, message) => {
    expect(() => loadConfig({}, env)).toThrow(message);
  });

  it('accepts DNS servers with ports, IPv6 included', () => {
    for (const server of ['1.1.1.1', '127.0.0.1:5353', '[::1]:53', '::1']) {
      expect(loadConfig({}, { WHARF_DNS_RESOLVER: server }).login.dnsResolver).toBe(server);
    }
  });
});
