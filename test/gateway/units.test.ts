import { describe, expect, it } from 'vitest';
import { assignNames, namespacedName } from '../../src/gateway/names.js';
import { defaultAlias } from '../../src/gateway/service.js';
import { CircuitBreaker, backoffMs } from '../../src/gateway/upstream.js';
import { SecretBox, loadSecretBox } from '../../src/platform/crypto/secret-box.js';

const VALID = /^[A-Za-z0-9_.-]{1,128}$/;

describe('namespacing', () => {
  it('prefixes alias__name when it fits', () => {
    expect(namespacedName('github', 'create_issue')).toBe('github__create_issue');
  });

  it('shortens long names stably within 128 characters, with a hash of the full name', () => {
    const long = 'x'.repeat(200);
    const a = namespacedName('svc', long);
    expect(a).toMatch(VALID);
    expect(a).toHaveLength(128);
    expect(namespacedName('svc', long)).toBe(a);
    expect(namespacedName('svc', `${long}y`)).not.toBe(a);
    expect(a.startsWith('svc__xxx')).toBe(true);
  });

  it('replaces characters outside the MCP set and keeps distinct names distinct', () => {
    const a = namespacedName('svc', 'weird name/1');
    const b = namespacedName('svc', 'weird_name_1');
    expect(a).toMatch(VALID);
    expect(b).toBe('svc__weird_name_1');
    expect(a).not.toBe(b);
  });

  it('assigns collision-free names independent of arrival order', () => {
    const items = [
      { alias: 'a', name: 'b__c' },
      { alias: 'a__b', name: 'c' },
      { alias: 'z', name: 'tool' },
    ];
    const prefix = (item: { alias: string; name: string }) => `${item.alias}__${item.name}`;
    const names = assignNames(items, prefix);
    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(name).toMatch(VALID);
    const reversed = assignNames([...items].reverse(), prefix).reverse();
    expect(reversed).toEqual(names);
  });

  it('derives a default alias from the server name', () => {
    expect(defaultAlias('io.github.acme/Weather_API')).toBe('weather-api');
    expect(defaultAlias('com.example/' + 'a'.repeat(40))).toHaveLength(32);
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold, half-opens after the cool-down, closes on a successful trial', () => {
    let now = 0;
    const breaker = new CircuitBreaker(2, 1000, () => now);
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('closed');
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
    now = 1000;
    expect(breaker.allow()).toBe(true);
    expect(breaker.state).toBe('half-open');
    breaker.failure();
    expect(breaker.state).toBe('open');
    now = 2000;
    expect(breaker.allow()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe('closed');
  });

  it('backs off exponentially with jitter up to a cap', () => {
    expect(backoffMs(0, 250, 30_000, () => 0)).toBe(125);
    expect(backoffMs(0, 250, 30_000, () => 1)).toBe(250);
    expect(backoffMs(3, 250, 30_000, () => 1)).toBe(2000);
    expect(backoffMs(50, 250, 30_000, () => 1)).toBe(30_000);
  });
});

describe('secret box', () => {
  it('round-trips, binds the purpose and refuses another key', () => {
    const box = new SecretBox(Buffer.alloc(32, 7));
    const sealed = box.seal('s3cret', 'column');
    expect(sealed).not.toContain('s3cret');
    expect(box.open(sealed, 'column')).toBe('s3cret');
    expect(() => box.open(sealed, 'other')).toThrow();
    expect(() => new SecretBox(Buffer.alloc(32, 8)).open(sealed, 'column')).toThrow();
    expect(box.seal('s3cret', 'column')).not.toBe(sealed);
  });

  it('derives the same key from the same configured secret', () => {
    const a = loadSecretBox({ dataDir: '/nonexistent', secretKey: 'k'.repeat(40) });
    const b = loadSecretBox({ dataDir: '/nonexistent', secretKey: 'k'.repeat(40) });
    expect(b.open(a.seal('x', 'p'), 'p')).toBe('x');
  });
});
