import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverJson } from '../../support/app.js';
import { runWharf } from '../../support/process.js';
import { FakeDnsServer } from './fakes/dns-server.js';
import { FAKE_CLIENT_ID, FakeGitHub } from './fakes/github.js';
import { FakeHttpServer, sendJson } from './fakes/http-server.js';
import { FakeOidcIssuer } from './fakes/oidc-issuer.js';
import { createLoginApp } from './support.js';
import type { LoginTestApp } from './support.js';

const mode = (file: string) => fs.statSync(file).mode & 0o777;

// Each test runs the real CLI several times; generous timeouts keep it stable on a loaded machine.
describe('wharf keygen / login / logout', { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-login-cli-'));
  const tokenFile = path.join(dir, 'config', 'wharf', 'token.json');
  const env = { WHARF_TOKEN_FILE: tokenFile };
  const dns = new FakeDnsServer();
  const wellKnown = new FakeHttpServer();
  const issuer = new FakeOidcIssuer('RS256');
  const github = new FakeGitHub();
  let app: LoginTestApp;
  let registry: string;

  beforeAll(async () => {
    await Promise.all([dns.start(), wellKnown.start(), issuer.start(), github.start()]);
    app = await createLoginApp({
      WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
      WHARF_DNS_RESOLVER: dns.address,
      WHARF_HTTP_AUTH_URL_TEMPLATE: `http://{domain}:${wellKnown.port}/.well-known/mcp-registry-auth`,
      WHARF_GITHUB_OIDC_ISSUER: issuer.url,
      WHARF_GITHUB_API_URL: github.url,
      WHARF_GITHUB_CLIENT_ID: FAKE_CLIENT_ID,
    });
    registry = await app.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([dns.stop(), wellKnown.stop(), issuer.stop(), github.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const keygen = async (algorithm: string, out: string) => {
    const result = await runWharf(['keygen', '--algorithm', algorithm, '--out', out, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as { algorithm: string; privateKeyFile: string; record: string };
  };

  it('keygen writes a 0600 key and prints the record; DNS login then reproduces the official publish flow', async () => {
    const keyFile = path.join(dir, 'ed25519.pem');
    const key = await keygen('ed25519', keyFile);
    expect(mode(keyFile)).toBe(0o600);
    expect(fs.readFileSync(keyFile, 'utf8')).toContain('BEGIN PRIVATE KEY');
    expect(key.record).toMatch(/^v=MCPv1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    const again = await runWharf(['keygen', '--out', keyFile]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists; pass --force');

    dns.set('example.com', { txt: [[key.record]] });
    const login = await runWharf(
      ['login', 'dns', '--domain', 'example.com', '--private-key-file', keyFile, '--registry', registry],
      env,
    );
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`Expected proof record:\n${key.record}`);
    expect(login.stdout).toContain('with dns as example.com');
    expect(login.stdout).toContain('may publish com.example.*');
    expect(mode(tokenFile)).toBe(0o600);
    expect(mode(path.dirname(tokenFile))).toBe(0o700);
    const stored = JSON.parse(fs.readFileSync(tokenFile, 'utf8'));
    expect(stored).toMatchObject({ method: 'dns', registry });

    // The official CLI's sequence: login → POST /v0/publish → GET …?include_deleted=true → PATCH …/status.
    const auth = { authorization: `Bearer ${stored.token}`, 'content-type': 'application/json' };
    const name = 'com.example/weather';
    const published = await fetch(`${registry}/v0/publish`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(serverJson(name, '1.0.0')),
    });
    expect(published.status).toBe(200);
    const sub = await fetch(`${registry}/v0/publish`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(serverJson('com.example.api/tools', '1.0.0')),
    });
    expect(sub.status).toBe(200);
    const encoded = encodeURIComponent(name);
    const current = await fetch(`${registry}/v0/servers/${encoded}/versions/1.0.0?include_deleted=true`);
    expect(current.status).toBe(200);
    const status = await fetch(`${registry}/v0/servers/${encoded}/versions/1.0.0/status`, {
      method: 'PATCH',
      headers: auth,
      body: JSON.stringify({ status: 'deprecated', statusMessage: 'use v2' }),
    });
    expect(status.status).toBe(200);
    const body = (await status.json()) as { _meta: Record<string, { status: string }> };
    expect(body._meta['io.modelcontextprotocol.registry/official']?.status).toBe('deprecated');

    const outside = await fetch(`${registry}/v0/publish`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(serverJson('org.other/tool', '1.0.0')),
    });
    expect(outside.status).toBe(403);
    expect(((await outside.json()) as { detail: string }).detail).toBe(
      'You do not have permission to publish this server. You have permission to publish: com.example/*, com.example.*. Attempting to publish: org.other/tool',
    );
  });

  it('logs in over HTTP with a P-384 key and replaces the token file', async () => {
    const keyFile = path.join(dir, 'p384.pem');
    const key = await keygen('ecdsap384', keyFile);
    expect(key.record).toMatch(/^v=MCPv1; k=ecdsap384; p=/);
    dns.set('mcp.example.org', { a: ['127.0.0.1'] });
    wellKnown.handle = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(key.record);
    const login = await runWharf(
      ['login', 'http', '--domain', 'mcp.example.org', '--private-key-file', keyFile, '--registry', registry],
      env,
    );
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain('may publish org.example.mcp/*');
    expect(JSON.parse(fs.readFileSync(tokenFile, 'utf8')).method).toBe('http');
    expect(mode(tokenFile)).toBe(0o600);
  });

  it('logs in from GitHub Actions with the runner token endpoint', async () => {
    const runner = await new FakeHttpServer().start();
    runner.handle = async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.headers.authorization !== 'Bearer runner-secret') return sendJson(res, 401, {});
      const token = await issuer.sign(
        { sub: 'repo:acme/servers:ref:refs/heads/main', repository_owner: 'acme' },
        { audience: url.searchParams.get('audience') ?? '' },
      );
      sendJson(res, 200, { value: token });
    };
    try {
      const login = await runWharf(['login', 'github-oidc', '--registry', registry], {
        ...env,
        ACTIONS_ID_TOKEN_REQUEST_URL: `${runner.url}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-secret',
      });
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toContain('may publish io.github.acme/*');
      expect(runner.requests[0]?.url).toBe('/token?api-version=2.0&audience=mcp-registry');
    } finally {
      await runner.stop();
    }
  });

  it('logs in with the GitHub device flow, taking the client id from the registry /v0/health', async () => {
    github.tokens.set('gho_device', { login: 'octocat', memberships: [{ org: 'acme', role: 'admin' }] });
    const login = await runWharf(['login', 'github', '--registry', registry], {
      ...env,
      GITHUB_TOKEN: '',
      MCP_GITHUB_TOKEN: '',
      WHARF_GITHUB_URL: github.url,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain('enter the code: ABCD-1234');
    expect(login.stdout).toContain('with github-at as octocat');
    expect(login.stdout).toContain('may publish io.github.acme/*');
    expect(github.devicePolls).toBe(2);
  });

  it('posts {"key"} to /v0/auth/key for API keys, and fails clearly without writing a token', async () => {
    const keys = await new FakeHttpServer().start();
    keys.handle = (_req, res, body) => {
      if (JSON.parse(body).key !== 'wharf_abc123')
        return sendJson(res, 401, { title: 'Unauthorized', status: 401, detail: 'Invalid API key' });
      sendJson(res, 200, { registry_token: 'header.eyJhdXRoX21ldGhvZCI6ImtleSJ9.sig', expires_at: 2_000_000_000 });
    };
    const keyTokenFile = path.join(dir, 'key-token.json');
    try {
      const ok = await runWharf(['login', 'key', '--key', 'wharf_abc123', '--registry', keys.url], {
        WHARF_TOKEN_FILE: keyTokenFile,
      });
      expect(ok.code, ok.stderr).toBe(0);
      expect(keys.requests[0]).toMatchObject({ method: 'POST', url: '/v0/auth/key' });
      expect(JSON.parse(fs.readFileSync(keyTokenFile, 'utf8'))).toMatchObject({
        method: 'key',
        expires_at: 2_000_000_000,
      });
      fs.rmSync(keyTokenFile);
      const bad = await runWharf(['login', 'key', '--registry', keys.url], {
        WHARF_TOKEN_FILE: keyTokenFile,
        WHARF_API_KEY: 'wharf_wrong',
      });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('token exchange failed with status 401: Invalid API key');
      expect(fs.existsSync(keyTokenFile)).toBe(false);
    } finally {
      await keys.stop();
    }
  });

  it('logs in anonymously and logs out', async () => {
    const none = await runWharf(['login', 'none', '--registry', registry], env);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain('may publish io.modelcontextprotocol.anonymous/*');

    const out = await runWharf(['logout'], env);
    expect(out.stdout).toContain(`Logged out: removed ${tokenFile}`);
    expect(fs.existsSync(tokenFile)).toBe(false);
  });
});
