import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { RegistryTokens } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config/config.js';

describe('auth settings', () => {
  it('defaults to a public registry with rate limits on', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({ registryRead: 'public', rateLimitAuth: 60, rateLimitPublish: 120 });
    expect(config.keySecret).toBeUndefined();
  });

  it('reads and validates WHARF_REGISTRY_READ, WHARF_RATE_LIMIT_*, WHARF_KEY_SECRET', () => {
    const config = loadConfig(
      {},
      {
        WHARF_REGISTRY_READ: 'authenticated',
        WHARF_RATE_LIMIT_AUTH: '0',
        WHARF_RATE_LIMIT_PUBLISH: '30',
        WHARF_KEY_SECRET: 'k'.repeat(32),
      },
    );
    expect(config).toMatchObject({ registryRead: 'authenticated', rateLimitAuth: 0, rateLimitPublish: 30 });
    expect(() => loadConfig({}, { WHARF_REGISTRY_READ: 'private' })).toThrow(
      'WHARF_REGISTRY_READ = "private": must be public or authenticated',
    );
    expect(() => loadConfig({}, { WHARF_RATE_LIMIT_AUTH: '-1' })).toThrow(
      'WHARF_RATE_LIMIT_AUTH = "-1": must be 0 (off) or a positive number of requests per minute',
    );
    expect(() => loadConfig({}, { WHARF_RATE_LIMIT_PUBLISH: 'lots' })).toThrow(
      'WHARF_RATE_LIMIT_PUBLISH = "lots": must be a number',
    );
    expect(() => loadConfig({}, { WHARF_KEY_SECRET: 'short-secret' })).toThrow(
      'WHARF_KEY_SECRET = (hidden): must be at least 32 characters long',
    );
  });
});

describe('verified token cache', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  let nowMs = Date.parse('2026-11-21T12:00:00Z');
  const tokens = new RegistryTokens({ privateKey, publicKey }, 60, () => new Date(nowMs));
  let verifications = 0;
  const counting = Object.assign(Object.create(tokens) as RegistryTokens, {
    verify: (token: string) => {
      verifications++;
      return tokens.verify(token);
    },
  });
  const authenticator = new Authenticator(counting, undefined, { now: () => nowMs });

  it('verifies a token once and serves it from the cache until it expires, then refuses it', async () => {
    const { registry_token } = await tokens.issue({
      authMethod: 'github-at',
      authMethodSub: 'octo',
      permissions: [{ action: 'publish', resource: 'io.github.octo/*' }],
    });
    for (let i = 0; i < 5; i++) {
      expect((await authenticator.authenticate(`Bearer ${registry_token}`)).subject).toBe('octo');
    }
    expect(verifications).toBe(1);
    nowMs += 61_000;
    await expect(authenticator.authenticate(`Bearer ${registry_token}`)).rejects.toMatchObject({
      status: 401,
      detail: 'Invalid or expired Registry JWT token',
      errors: [{ message: 'token has expired' }],
    });
    expect(verifications).toBe(2);
  });

  it('never caches a token that failed verification', async () => {
    const before = verifications;
    for (let i = 0; i < 2; i++) {
      await expect(authenticator.authenticate('Bearer not.a.jwt')).rejects.toMatchObject({ status: 401 });
    }
    expect(verifications).toBe(before + 2);
  });
});
