import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from './fakes/github.js';
import { FakeOidcIssuer, unsignedToken } from './fakes/oidc-issuer.js';
import { claimsOf, createLoginApp } from './support.js';
import type { LoginTestApp } from './support.js';

describe('auth/github-at', () => {
  const github = new FakeGitHub();
  let app: LoginTestApp;

  beforeAll(async () => {
    await github.start();
    github.tokens.set('gho_owner', {
      login: 'octocat',
      memberships: [
        { org: 'acme', role: 'admin' },
        { org: 'widgets', role: 'member' },
        { org: 'pending-org', role: 'admin', state: 'pending' },
        { org: 'bad.org', role: 'admin' },
      ],
    });
    github.tokens.set('gho_noscope', { login: 'solo', orgsForbidden: 'scope' });
    github.tokens.set('gho_ratelimited', { login: 'busy', orgsForbidden: 'rate-limit' });
    github.tokens.set('gho_sso', { login: 'sso-user', orgsForbidden: 'sso' });
    github.tokens.set('gho_badlogin', { login: 'evil/../name' });
    github.tokens.set('gho_many', {
      login: 'joiner',
      memberships: Array.from({ length: 150 }, (_, i) => ({ org: `org-${i}`, role: i === 120 ? 'admin' : 'member' })),
    });
    app = await createLoginApp({ WHARF_ALLOW_PRIVATE_NETWORKS: 'true', WHARF_GITHUB_API_URL: github.url });
  });
  afterAll(async () => {
    await app?.close();
    await github.stop();
  });

  it('grants the personal namespace and orgs the user owns, not orgs where they are a member', async () => {
    const res = await app.post('/v0/auth/github-at', { github_token: 'gho_owner' });
    expect(res.statusCode, res.body).toBe(200);
    expect(claimsOf(res)).toMatchObject({
      auth_method: 'github-at',
      auth_method_sub: 'octocat',
      permissions: [
        { action: 'publish', resource: 'io.github.octocat/*' },
        { action: 'publish', resource: 'io.github.acme/*' },
      ],
    });
    const calls = github.requests.slice(-2);
    expect(calls.map((c) => c.url)).toEqual(['/user', '/user/memberships/orgs?state=active&per_page=100&page=1']);
    expect(calls[0]?.headers.authorization).toBe('Bearer gho_owner');
    expect(calls[0]?.headers['x-github-api-version']).toBe('2022-11-28');
    expect(app.audit.events.at(-1)).toMatchObject({
      actor: { method: 'github-at', subject: 'octocat' },
      outcome: 'success',
    });
  });

  it('reads every page of memberships', async () => {
    const res = await app.post('/v0/auth/github-at', { github_token: 'gho_many' });
    expect(claimsOf(res).permissions).toEqual([
      { action: 'publish', resource: 'io.github.joiner/*' },
      { action: 'publish', resource: 'io.github.org-120/*' },
    ]);
  });

  it('falls back to the personal namespace for a token without read:org', async () => {
    const res = await app.post('/v0.1/auth/github-at', { github_token: 'gho_noscope' });
    expect(res.statusCode).toBe(200);
    expect(claimsOf(res).permissions).toEqual([{ action: 'publish', resource: 'io.github.solo/*' }]);
  });

  it('grants nothing to a login outside [a-zA-Z0-9-]', async () => {
    const res = await app.post('/v0/auth/github-at', { github_token: 'gho_badlogin' });
    expect(res.statusCode).toBe(200);
    expect(claimsOf(res).permissions).toEqual([]);
  });

  it.each(['gho_unknown', 'gho_ratelimited', 'gho_sso'])(
    'answers the official bare 401 for %s, without upstream details',
    async (token) => {
      const res = await app.post('/v0/auth/github-at', { github_token: token });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ title: 'Unauthorized', status: 401, detail: 'Token exchange failed' });
      expect(app.audit.events.at(-1)).toMatchObject({ actor: { method: 'github-at' }, outcome: 'denied' });
    },
  );

  it('refuses a missing github_token with a request-shape error', async () => {
    const res = await app.post('/v0/auth/github-at', {});
    expect(res.statusCode).toBe(422);
  });

  it('refuses the GitHub API on a private address unless private networks are allowed', async () => {
    const guarded = await createLoginApp({ WHARF_GITHUB_API_URL: github.url });
    try {
      const res = await guarded.post('/v0/auth/github-at', { github_token: 'gho_owner' });
      expect(res.statusCode).toBe(401);
      expect(String(guarded.audit.events.at(-1)?.detail?.reason)).toContain('WHARF_ALLOW_PRIVATE_NETWORKS');
    } finally {
      await guarded.close();
    }
  });
});

describe('auth/github-oidc', () => {
  const issuer = new FakeOidcIssuer('RS256');
  let app: LoginTestApp;
  const actionsClaims = {
    sub: 'repo:acme/servers:ref:refs/heads/main',
    repository: 'acme/servers',
    repository_owner: 'acme',
  };

  beforeAll(async () => {
    await issuer.start();
    app = await createLoginApp({ WHARF_ALLOW_PRIVATE_NETWORKS: 'true', WHARF_GITHUB_OIDC_ISSUER: issuer.url });
  });
  afterAll(async () => {
    await app?.close();
    await issuer.stop();
  });

  it('grants the repository owner namespace with the token subject, caching the JWKS', async () => {
    const fetchesBefore = issuer.jwksFetches;
    for (let i = 0; i < 2; i++) {
      const token = await issuer.sign(actionsClaims, { audience: 'mcp-registry' });
      const res = await app.post('/v0/auth/github-oidc', { oidc_token: token });
      expect(res.statusCode, res.body).toBe(200);
      expect(claimsOf(res)).toMatchObject({
        auth_method: 'github-oidc',
        auth_method_sub: 'repo:acme/servers:ref:refs/heads/main',
        permissions: [{ action: 'publish', resource: 'io.github.acme/*' }],
      });
    }
    expect(issuer.jwksFetches - fetchesBefore).toBe(1);
    expect(issuer.requests.some((r) => r.url === '/.well-known/jwks')).toBe(true);
  });

  it('accepts an audience list containing mcp-registry', async () => {
    const token = await issuer.sign(actionsClaims, { audience: ['sigstore', 'mcp-registry'] });
    expect((await app.post('/v0/auth/github-oidc', { oidc_token: token })).statusCode).toBe(200);
  });

  it.each([
    [
      'a wrong audience',
      () => issuer.sign(actionsClaims, { audience: 'sigstore' }),
      'failed to validate OIDC token: invalid audience: expected mcp-registry, got [sigstore]',
    ],
    [
      'a wrong issuer',
      () => issuer.sign(actionsClaims, { audience: 'mcp-registry', issuer: 'https://evil.example' }),
      'failed to validate OIDC token: invalid issuer: expected ISSUER, got https://evil.example',
    ],
    [
      'an expired token',
      () => issuer.sign(actionsClaims, { audience: 'mcp-registry', expiresIn: -60 }),
      'failed to validate OIDC token: failed to parse token: token has invalid claims: token is expired',
    ],
    [
      'an unsigned token',
      async () => unsignedToken({ ...actionsClaims, iss: issuer.url, aud: 'mcp-registry', exp: 9e9 }),
      'failed to validate OIDC token: failed to parse token: token is unsigned or uses a signing algorithm that is not allowed',
    ],
    [
      'a token without repository_owner',
      () => issuer.sign({ sub: 'repo:x' }, { audience: 'mcp-registry' }),
      'failed to validate OIDC token: repository owner claim is required',
    ],
  ])('refuses %s', async (_label, makeToken, reason) => {
    const res = await app.post('/v0/auth/github-oidc', { oidc_token: await makeToken() });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      title: 'Unauthorized',
      status: 401,
      detail: 'Token exchange failed',
      errors: [{ message: reason.replace('ISSUER', issuer.url) }],
    });
  });

  it('refuses a token whose signature was tampered with', async () => {
    const token = await issuer.sign(actionsClaims, { audience: 'mcp-registry' });
    const [head, , sig] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...actionsClaims, repository_owner: 'victim', aud: 'mcp-registry', iss: issuer.url, exp: 9e9 }),
    ).toString('base64url');
    const res = await app.post('/v0/auth/github-oidc', { oidc_token: `${head}.${forged}.${sig}` });
    expect(res.statusCode).toBe(401);
    expect(res.json().errors[0].message).toContain('token signature is invalid');
  });

  it('uses a configured audience, and is disabled (official message) when the audience is empty', async () => {
    const custom = await createLoginApp({
      WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
      WHARF_GITHUB_OIDC_ISSUER: issuer.url,
      WHARF_GITHUB_OIDC_AUDIENCE: 'wharf.acme.internal',
    });
    const disabled = await createLoginApp({
      WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
      WHARF_GITHUB_OIDC_ISSUER: issuer.url,
      WHARF_GITHUB_OIDC_AUDIENCE: '',
    });
    try {
      const ok = await custom.post('/v0/auth/github-oidc', {
        oidc_token: await issuer.sign(actionsClaims, { audience: 'wharf.acme.internal' }),
      });
      expect(ok.statusCode).toBe(200);
      const wrong = await custom.post('/v0/auth/github-oidc', {
        oidc_token: await issuer.sign(actionsClaims, { audience: 'mcp-registry' }),
      });
      expect(wrong.json().errors[0].message).toContain('expected wharf.acme.internal');
      const off = await disabled.post('/v0/auth/github-oidc', {
        oidc_token: await issuer.sign(actionsClaims, { audience: 'mcp-registry' }),
      });
      expect(off.statusCode).toBe(401);
      expect(off.json().errors[0].message).toBe(
        'GitHub OIDC exchange disabled: this deployment has no audience configured',
      );
    } finally {
      await custom.close();
      await disabled.close();
    }
  });
});
