import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fingerprint,
  generateProofSigner,
  parseProofKey,
  proofRecord,
  rfc3339Now,
  signTimestamp,
} from '../../../src/auth/login/proof.js';
import type { ProofSigner } from '../../../src/auth/login/proof.js';
import { FakeDnsServer } from './fakes/dns-server.js';
import { FakeHttpServer } from './fakes/http-server.js';
import { claimsOf, createLoginApp } from './support.js';
import type { LoginTestApp } from './support.js';

const signed = (signer: ProofSigner, domain: string, at = new Date()) => {
  const timestamp = rfc3339Now(at);
  return { domain, timestamp, signed_timestamp: signTimestamp(signer, timestamp) };
};
const fp = (signer: ProofSigner) => fingerprint(parseProofKey(signer.algorithm, signer.publicRaw.toString('base64')));

describe('DNS and HTTP domain proofs', () => {
  const dns = new FakeDnsServer();
  const wellKnown = new FakeHttpServer();
  const ed = generateProofSigner('ed25519');
  const p384 = generateProofSigner('ecdsap384');
  const old = generateProofSigner('ed25519');
  const older = generateProofSigner('ed25519');
  const bodies = new Map<string, () => { status?: number; body: string; headers?: Record<string, string> }>();
  let app: LoginTestApp;

  beforeAll(async () => {
    await dns.start();
    await wellKnown.start();
    wellKnown.handle = (req, res) => {
      const host = (req.headers.host ?? '').split(':')[0] ?? '';
      const answer = req.url === '/.well-known/mcp-registry-auth' ? bodies.get(host) : undefined;
      if (!answer) {
        res.writeHead(404).end('not found');
        return;
      }
      const { status = 200, body, headers = {} } = answer();
      res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body);
    };
    dns.set('example.com', { txt: [['google-site-verification=abc'], [proofRecord(ed)]], a: ['127.0.0.1'] });
    dns.set('p384.example.org', { txt: [[proofRecord(p384)]], a: ['127.0.0.1'] });
    // A long record split into 255-byte character strings must be joined back together.
    dns.set('split.example.net', { txt: [[proofRecord(ed).slice(0, 20), proofRecord(ed).slice(20)]] });
    dns.set('stale.example.com', { txt: [[proofRecord(old)]] });
    dns.set('rotated.example.com', { txt: [[proofRecord(old)], [proofRecord(older)]] });
    dns.set('selector.example.com', { txt: [['v=spf1 -all']] });
    dns.set('_mcp-auth.selector.example.com', { txt: [[proofRecord(ed)]] });
    dns.set('apexless.example.com', { a: ['127.0.0.1'] });
    dns.set('_mcp-registry.apexless.example.com', { txt: [[proofRecord(ed)]] });
    dns.set('broken.example.com', { txt: [['v=MCPv1; k=ed25519; p=AAAA']] });
    dns.set('empty.example.com', { txt: [['v=spf1 -all']] });
    app = await createLoginApp({
      WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
      WHARF_DNS_RESOLVER: dns.address,
      WHARF_HTTP_AUTH_URL_TEMPLATE: `http://{domain}:${wellKnown.port}/.well-known/mcp-registry-auth`,
    });
  });
  afterAll(async () => {
    await app?.close();
    await dns.stop();
    await wellKnown.stop();
  });

  describe('auth/dns', () => {
    it('grants the domain and its subdomains for an Ed25519 proof at the apex', async () => {
      const res = await app.post('/v0/auth/dns', signed(ed, 'example.com'));
      expect(res.statusCode, res.body).toBe(200);
      const claims = claimsOf(res);
      expect(claims).toMatchObject({
        iss: 'mcp-registry',
        auth_method: 'dns',
        auth_method_sub: 'example.com',
        permissions: [
          { action: 'publish', resource: 'com.example/*' },
          { action: 'publish', resource: 'com.example.*' },
        ],
      });
      expect(claims.exp! - claims.iat!).toBe(300);
      expect(claims.expires_at).toBe(claims.exp);
      expect(app.audit.events.at(-1)).toMatchObject({
        action: 'auth.login',
        actor: { method: 'dns', subject: 'example.com' },
        outcome: 'success',
        sourceIp: '127.0.0.1',
      });
    });

    it('accepts ECDSA P-384 compressed keys with r||s signatures, under /v0.1 too', async () => {
      const res = await app.post('/v0.1/auth/dns', signed(p384, 'p384.example.org'));
      expect(res.statusCode, res.body).toBe(200);
      expect(claimsOf(res).permissions).toEqual([
        { action: 'publish', resource: 'org.example.p384/*' },
        { action: 'publish', resource: 'org.example.p384.*' },
      ]);
    });

    it('joins TXT records split into several character strings', async () => {
      const res = await app.post('/v0/auth/dns', signed(ed, 'split.example.net'));
      expect(res.statusCode, res.body).toBe(200);
    });

    it('names the stale key it tried when the published record is not the signing key', async () => {
      const res = await app.post('/v0/auth/dns', signed(ed, 'stale.example.com'));
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toEqual({
        title: 'Unauthorized',
        status: 401,
        detail: 'DNS authentication failed',
        errors: [
          {
            message:
              `signature verification failed (tried published key ${fp(old)}); ` +
              'if this is not the key you are signing with, the published record may be stale',
          },
        ],
      });
      expect(app.audit.events.at(-1)).toMatchObject({
        actor: { method: 'dns', subject: 'stale.example.com' },
        outcome: 'denied',
      });
    });

    it('lists every fingerprint after a rotation left several stale records', async () => {
      const res = await app.post('/v0/auth/dns', signed(ed, 'rotated.example.com'));
      expect(res.statusCode).toBe(401);
      expect(res.json().errors[0].message).toBe(
        `signature verification failed against all 2 published keys (tried: ${fp(old)}, ${fp(older)}); ` +
          'if you recently rotated keys, remove any stale records from the apex domain',
      );
    });

    it('says so when the record sits under a selector instead of the apex', async () => {
      const res = await app.post('/v0/auth/dns', signed(ed, 'selector.example.com'));
      expect(res.statusCode).toBe(401);
      expect(res.json().errors[0].message).toBe(
        'failed to fetch keys: no MCPv1 TXT record at "selector.example.com", but one was found at ' +
          '"_mcp-auth.selector.example.com" — MCP DNS auth requires the record at the apex domain, not under a selector',
      );
    });

    it('gives the same hint when the apex has no TXT record at all', async () => {
      const res = await app.post('/v0/auth/dns', signed(ed, 'apexless.example.com'));
      expect(res.statusCode).toBe(401);
      expect(res.json().errors[0].message).toContain(
        'but one was found at "_mcp-registry.apexless.example.com" — MCP DNS auth requires the record at the apex',
      );
    });

    it.each([
      ['20 s in the past', -20_000],
      ['20 s in the future', 20_000],
    ])('refuses a timestamp %s (clock skew beyond ±15 s)', async (_label, offset) => {
      const res = await app.post('/v0/auth/dns', signed(ed, 'example.com', new Date(Date.now() + offset)));
      expect(res.statusCode).toBe(401);
      expect(res.json().errors[0].message).toBe('timestamp outside valid window (±15 seconds)');
    });

    it('accepts a timestamp 10 s old (within the window)', async () => {
      const res = await app.post('/v0/auth/dns', signed(ed, 'example.com', new Date(Date.now() - 10_000)));
      expect(res.statusCode, res.body).toBe(200);
    });

    it.each([
      [{ domain: '127.0.0.1' }, 'invalid domain format'],
      [{ domain: 'localhost' }, 'invalid domain format'],
      [{ domain: 'exa_mple.com' }, 'invalid domain format'],
      [{ timestamp: '2026-01-01 00:00:00' }, 'invalid timestamp format'],
      [{ signed_timestamp: 'abc' }, 'invalid signature format, must be hex: encoding/hex: odd length hex string'],
      [{ signed_timestamp: 'zz' }, "invalid signature format, must be hex: encoding/hex: invalid byte: U+007A 'z'"],
      [{ signed_timestamp: 'abcd' }, 'invalid signature size for Ed25519'],
      [{ domain: 'empty.example.com' }, 'no MCP public key found in DNS TXT records'],
      [{ domain: 'broken.example.com' }, 'invalid Ed25519 public key size'],
      [{ domain: 'missing.example.com' }, 'failed to fetch keys: failed to lookup DNS TXT records'],
    ])('refuses %j with the official reason', async (change, reason) => {
      const res = await app.post('/v0/auth/dns', { ...signed(ed, 'example.com'), ...change });
      expect(res.statusCode).toBe(401);
      expect(res.json().detail).toBe('DNS authentication failed');
      expect(res.json().errors[0].message).toContain(reason);
    });

    it('answers a request-shape error for a missing or unknown field', async () => {
      const { domain, timestamp } = signed(ed, 'example.com');
      const missing = await app.post('/v0/auth/dns', { domain, timestamp });
      expect(missing.statusCode).toBe(422);
      expect(missing.json().detail).toBe('validation failed');
      const extra = await app.post('/v0/auth/dns', { ...signed(ed, 'example.com'), extra: 1 });
      expect(extra.statusCode).toBe(422);
    });
  });

  describe('auth/http', () => {
    it('grants only the exact domain (no subdomains)', async () => {
      bodies.set('example.com', () => ({ body: `\n${proofRecord(ed)}\n` }));
      const res = await app.post('/v0/auth/http', signed(ed, 'example.com'));
      expect(res.statusCode, res.body).toBe(200);
      expect(claimsOf(res)).toMatchObject({
        auth_method: 'http',
        auth_method_sub: 'example.com',
        permissions: [{ action: 'publish', resource: 'com.example/*' }],
      });
      const request = wellKnown.requests.at(-1);
      expect(request?.headers.accept).toBe('text/plain');
    });

    it('accepts P-384 keys', async () => {
      bodies.set('p384.example.org', () => ({ body: proofRecord(p384) }));
      const res = await app.post('/v0/auth/http', signed(p384, 'p384.example.org'));
      expect(res.statusCode, res.body).toBe(200);
    });

    it('does not follow a redirect on the well-known URL', async () => {
      let hits = 0;
      bodies.set('example.com', () => {
        hits += 1;
        return {
          status: 302,
          body: '',
          headers: { location: `http://p384.example.org:${wellKnown.port}/.well-known/mcp-registry-auth` },
        };
      });
      bodies.set('p384.example.org', () => ({ body: proofRecord(ed) }));
      const res = await app.post('/v0/auth/http', signed(ed, 'example.com'));
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({
        detail: 'HTTP authentication failed',
        errors: [
          {
            message: `failed to fetch keys: failed to fetch public key: HTTP 302: failed to fetch key from http://example.com:${wellKnown.port}/.well-known/mcp-registry-auth`,
          },
        ],
      });
      expect(hits).toBe(1);
    });

    it('refuses a body over 4 KiB', async () => {
      bodies.set('example.com', () => ({ body: `${proofRecord(ed)}\n${'#'.repeat(5000)}` }));
      const res = await app.post('/v0/auth/http', signed(ed, 'example.com'));
      expect(res.statusCode).toBe(401);
      expect(res.json().errors[0].message).toBe(
        'failed to fetch keys: failed to fetch public key: HTTP auth key response too large',
      );
    });

    it('accepts a body of exactly 4 KiB', async () => {
      const record = proofRecord(ed);
      bodies.set('example.com', () => ({ body: record + ' '.repeat(4096 - record.length) }));
      const res = await app.post('/v0/auth/http', signed(ed, 'example.com'));
      expect(res.statusCode, res.body).toBe(200);
    });

    it('refuses a non-200 answer and a stale key', async () => {
      bodies.set('example.com', () => ({ status: 404, body: 'nope' }));
      const missing = await app.post('/v0/auth/http', signed(ed, 'example.com'));
      expect(missing.json().errors[0].message).toContain('HTTP 404: failed to fetch key from');
      bodies.set('example.com', () => ({ body: proofRecord(old) }));
      const stale = await app.post('/v0/auth/http', signed(ed, 'example.com'));
      expect(stale.json().errors[0].message).toContain(`tried published key ${fp(old)}`);
    });

    it('refuses a domain resolving to a private address unless private networks are allowed', async () => {
      const guarded = await createLoginApp({
        WHARF_DNS_RESOLVER: dns.address,
        WHARF_HTTP_AUTH_URL_TEMPLATE: `http://{domain}:${wellKnown.port}/.well-known/mcp-registry-auth`,
      });
      try {
        bodies.set('example.com', () => ({ body: proofRecord(ed) }));
        const before = wellKnown.requests.length;
        const res = await guarded.post('/v0/auth/http', signed(ed, 'example.com'));
        expect(res.statusCode).toBe(401);
        const message = res.json().errors[0].message as string;
        expect(message).toContain('refusing to connect to example.com (127.0.0.1): it is a loopback address');
        expect(message).toContain('WHARF_ALLOW_PRIVATE_NETWORKS=true');
        expect(wellKnown.requests.length).toBe(before);
      } finally {
        await guarded.close();
      }
    });
  });
});
