import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { normaliseUpstream } from '../../src/sync/index.js';
import { NameFilter } from '../../src/sync/patterns.js';

describe('sync settings', () => {
  it('has documented defaults', () => {
    expect(loadConfig({}, {}).sync).toEqual({
      upstream: undefined,
      intervalSeconds: 300,
      allow: [],
      deny: [],
      conflict: 'skip',
      overlapSeconds: 300,
      reconcileHours: 24,
    });
  });

  it('reads WHARF_SYNC_* and names the setting in errors', () => {
    const config = loadConfig(
      {},
      {
        WHARF_SYNC_UPSTREAM: 'https://registry.example',
        WHARF_SYNC_ALLOW: 'io.github.acme/*, com.example/one',
        WHARF_SYNC_DENY: 'io.github.acme/internal-*',
        WHARF_SYNC_CONFLICT: 'upstream-wins',
      },
    );
    expect(config.sync).toMatchObject({
      upstream: 'https://registry.example',
      allow: ['io.github.acme/*', 'com.example/one'],
      deny: ['io.github.acme/internal-*'],
      conflict: 'upstream-wins',
    });
    expect(() => loadConfig({}, { WHARF_SYNC_CONFLICT: 'mine' })).toThrow(
      /WHARF_SYNC_CONFLICT = "mine": must be skip, local-wins or upstream-wins/,
    );
    expect(() => loadConfig({}, { WHARF_SYNC_ALLOW: 'io.*.acme/x' })).toThrow(/WHARF_SYNC_ALLOW .*not a name pattern/);
    expect(() => loadConfig({}, { WHARF_SYNC_UPSTREAM: 'ftp://x' })).toThrow(/WHARF_SYNC_UPSTREAM/);
    expect(() => loadConfig({}, { WHARF_SYNC_INTERVAL_SECONDS: '0' })).toThrow(/WHARF_SYNC_INTERVAL_SECONDS/);
  });

  it('filters names with the permission pattern semantics, deny first', () => {
    const filter = new NameFilter(['io.github.acme/*'], ['io.github.acme/internal-*']);
    expect(filter.accepts('io.github.acme/tool')).toBe(true);
    expect(filter.accepts('io.github.acme/internal-db')).toBe(false);
    expect(filter.accepts('io.github.other/tool')).toBe(false);
    expect(new NameFilter([], ['*']).accepts('a.b/c')).toBe(false);
    expect(new NameFilter([], []).accepts('a.b/c')).toBe(true);
  });

  it('normalises the upstream to its API base', () => {
    expect(normaliseUpstream('https://registry.modelcontextprotocol.io')).toBe(
      'https://registry.modelcontextprotocol.io/v0.1',
    );
    expect(normaliseUpstream('https://r.example/v0/')).toBe('https://r.example/v0');
    expect(normaliseUpstream('https://r.example/mirror/v0.1/servers?limit=5')).toBe('https://r.example/mirror/v0.1');
    expect(() => normaliseUpstream('not a url')).toThrow(/absolute http/);
  });
});
