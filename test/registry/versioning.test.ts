import { describe, expect, it } from 'vitest';
import { compareVersions, isSemver, pickLatest } from '../../src/registry/versioning.js';

const v = (version: string, publishedAt = '2026-01-01T00:00:00.000Z', status = 'active') => ({
  version,
  publishedAt,
  status,
});

describe('isSemver (the official definition)', () => {
  it.each([
    ['1.2.3', true],
    ['1.2.3-beta.1', true],
    ['1.2.3+build.5', true],
    ['0.0.1', true],
    ['1.0', false],
    ['v1.2.3', false],
    ['=1.2.3', false],
    [' 1.2.3', false],
    ['01.2.3', false],
    ['2025-06-18', false],
  ])('%s → %s', (input, expected) => expect(isSemver(input)).toBe(expected));
});

describe('compareVersions', () => {
  it('orders semver by precedence, not text', () => {
    expect(compareVersions(v('1.10.0'), v('1.9.0'))).toBeGreaterThan(0);
  });
  it('puts prereleases below their release', () => {
    expect(compareVersions(v('1.2.3-1'), v('1.2.3'))).toBeLessThan(0);
  });
  it('prefers a semver version over a non-semver one whatever the dates', () => {
    expect(compareVersions(v('0.0.1', '2020-01-01T00:00:00.000Z'), v('2025-06-18', '2026-01-01T00:00:00.000Z'))).toBe(
      1,
    );
  });
  it('falls back to publish time between non-semver versions', () => {
    expect(compareVersions(v('b', '2026-01-02T00:00:00.000Z'), v('a', '2026-01-01T00:00:00.000Z'))).toBeGreaterThan(0);
  });
  it('ignores build metadata for precedence', () => {
    expect(compareVersions(v('1.0.0+a', '2026-01-02T00:00:00.000Z'), v('1.0.0+b', '2026-01-01T00:00:00.000Z'))).toBe(1);
  });
});

describe('pickLatest', () => {
  it('skips deleted versions while any other exists', () => {
    expect(
      pickLatest([v('2.0.0', undefined, 'deleted'), v('1.0.0'), v('1.5.0', undefined, 'deprecated')])?.version,
    ).toBe('1.5.0');
  });
  it('keeps the highest deleted version when all are deleted', () => {
    expect(pickLatest([v('2.0.0', undefined, 'deleted'), v('1.0.0', undefined, 'deleted')])?.version).toBe('2.0.0');
  });
  it('returns undefined for no versions', () => {
    expect(pickLatest([])).toBeUndefined();
  });
});
