import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';

interface Case {
  title: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  body?: string;
  headers?: Record<string, string>;
  status: number;
  detail?: string | RegExp;
}

const valid = serverJson('com.example/existing', '1.0.0');
const json = (value: unknown) => JSON.stringify(value);
const withField = (patch: Record<string, unknown>) => json({ ...valid, version: '2.0.0', ...patch });
const publish = (body: string, status: number, title: string, detail?: string | RegExp): Case => ({
  title,
  method: 'POST',
  url: '/v0/publish',
  body,
  status,
  ...(detail === undefined ? {} : { detail }),
});
const existing = `/v0/servers/${encodeURIComponent('com.example/existing')}`;

const cases: Case[] = [
  publish('{"name": ', 400, 'malformed JSON', /^Malformed JSON body/),
  publish('', 422, 'empty body', 'validation failed'),
  publish('[]', 422, 'an array instead of an object', 'validation failed'),
  publish('"text"', 422, 'a string instead of an object', 'validation failed'),
  publish('null', 422, 'null', 'validation failed'),
  publish(withField({ name: 123 }), 422, 'a number for the name', 'validation failed'),
  publish(withField({ surprise: true }), 422, 'an unknown top-level property', 'validation failed'),
  publish(
    withField({ repository: { url: 'https://github.com/a/b', source: 'github', extra: 1 } }),
    422,
    'an unknown nested property',
  ),
  publish(json({ ...valid, $schema: undefined, version: '3.0.0' }), 422, 'no $schema'),
  publish(withField({ description: 'x'.repeat(101) }), 422, 'a description over 100 characters'),
  publish(withField({ name: 'no-slash' }), 422, 'a name without a namespace'),
  publish(withField({ name: 'a/b/c' }), 422, 'a name with two slashes'),
  publish(withField({ name: '-bad.ns/x' }), 422, 'a namespace starting with a dash'),
  publish(withField({ version: 'latest' }), 422, 'the reserved version latest'),
  publish(withField({ version: '^1.2.3' }), 422, 'a version range'),
  publish(withField({ version: '1.x' }), 422, 'a wildcard version'),
  publish(withField({ version: '' }), 422, 'an empty version'),
  publish(withField({ websiteUrl: 'http://example.com' }), 422, 'a plain-http website'),
  publish(
    withField({ remotes: [{ type: 'streamable-http', url: 'https://localhost/mcp' }] }),
    422,
    'a localhost remote',
  ),
  publish(
    withField({ remotes: [{ type: 'carrier-pigeon', url: 'https://x.example.com/mcp' }] }),
    422,
    'an unknown transport',
  ),
  publish(
    withField({ remotes: [{ type: 'sse', url: 'https://{tenant}.example.com/sse' }] }),
    422,
    'an undeclared URL variable',
  ),
  publish(
    withField({
      packages: [{ registryType: 'npm', identifier: 'a b', version: '1.0.0', transport: { type: 'stdio' } }],
    }),
    422,
    'a package identifier with spaces',
  ),
  publish(
    withField({ _meta: { 'io.modelcontextprotocol.registry/publisher-provided': { blob: 'x'.repeat(5000) } } }),
    400,
    'publisher _meta over 4 KiB',
  ),
  publish(json(valid), 400, 'a duplicate version', 'Failed to publish server'),
  publish(`{"a":${'['.repeat(100)}${']'.repeat(100)}}`, 400, 'absurdly deep nesting', /deeper than 64 levels/),
  publish(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('latin1'), 400, 'invalid UTF-8', /UTF-8|JSON/),
  publish(`{"name":"${'x'.repeat(1024 * 1024)}"}`, 413, 'a body over 1 MiB'),
  { title: 'limit 0', url: '/v0/servers?limit=0', status: 422, detail: 'validation failed' },
  { title: 'limit 101', url: '/v0/servers?limit=101', status: 422, detail: 'validation failed' },
  { title: 'limit not a number', url: '/v0/servers?limit=ten', status: 422, detail: 'validation failed' },
  { title: 'include_deleted not a boolean', url: '/v0/servers?include_deleted=maybe', status: 422 },
  {
    title: 'bad updated_since',
    url: '/v0/servers?updated_since=yesterday',
    status: 400,
    detail: /Invalid updated_since format/,
  },
  {
    title: 'include_deleted=false with updated_since',
    url: '/v0/servers?updated_since=2025-01-01T00:00:00Z&include_deleted=false',
    status: 400,
    detail: /Cannot set include_deleted=false/,
  },
  { title: 'an absurd cursor', url: `/v0/servers?cursor=${'x'.repeat(600)}`, status: 400, detail: /Invalid cursor/ },
  {
    title: 'NUL in the path',
    url: '/v0/servers%00',
    status: 400,
    detail: 'Invalid request: URL path contains null bytes',
  },
  {
    title: 'NUL in the query',
    url: '/v0/servers?search=%00',
    status: 400,
    detail: 'Invalid request: query parameters contain null bytes',
  },
  {
    title: 'a broken percent-encoding in a version',
    url: `${existing}/versions/1.0%25zz`,
    status: 400,
    detail: 'Invalid version encoding',
  },
  {
    title: 'an unknown endpoint',
    url: '/v0/nothing-here',
    status: 404,
    detail: 'Endpoint not found. See /docs for the API documentation.',
  },
  { title: 'an unprefixed path', url: '/servers', status: 404, detail: /Did you mean '\/v0\.1\/servers'/ },
  {
    title: 'an unknown status',
    method: 'PATCH',
    url: `${existing}/versions/1.0.0/status`,
    body: json({ status: 'gone' }),
    status: 422,
  },
  {
    title: 'a status message over 500 characters',
    method: 'PATCH',
    url: `${existing}/versions/1.0.0/status`,
    body: json({ status: 'deprecated', statusMessage: 'x'.repeat(501) }),
    status: 422,
  },
  {
    title: 'an unknown property in a status change',
    method: 'PATCH',
    url: `${existing}/versions/1.0.0/status`,
    body: json({ status: 'deprecated', why: 'x' }),
    status: 422,
  },
  {
    title: 'a status change of a missing version',
    method: 'PATCH',
    url: `${existing}/versions/9.9.9/status`,
    body: json({ status: 'deprecated' }),
    status: 404,
    detail: 'Server version not found',
  },
  {
    title: 'an edit of a missing version',
    method: 'PUT',
    url: `${existing}/versions/9.9.9`,
    body: json(valid),
    status: 404,
  },
];

describe('bad input answers 4xx problem+json and changes nothing', () => {
  let t: TestApp;
  let snapshot: string;
  const dump = async () =>
    (await t.app.inject({ url: '/v0/servers?include_deleted=true&limit=100' })).body.replace(
      /"updatedAt":"[^"]+"/g,
      '',
    );

  beforeAll(async () => {
    t = await createTestApp();
    const first = await t.app.inject({ method: 'POST', url: '/v0/publish', headers: adminHeaders, payload: valid });
    expect(first.statusCode).toBe(200);
    snapshot = await dump();
  });
  afterAll(async () => t?.close());

  it.each(cases.map((c) => [c.title, c] as const))('%s', async (_title, c) => {
    const res = await t.app.inject({
      method: c.method ?? 'GET',
      url: c.url,
      headers: { ...adminHeaders, 'content-type': 'application/json', ...c.headers },
      ...(c.body === undefined ? {} : { payload: c.body }),
    });
    expect(res.statusCode, res.body).toBe(c.status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body.status).toBe(c.status);
    expect(typeof body.title).toBe('string');
    expect(typeof body.detail).toBe('string');
    expect(body.detail.length).toBeGreaterThan(5);
    if (c.detail instanceof RegExp) expect(body.detail).toMatch(c.detail);
    else if (c.detail !== undefined) expect(body.detail).toBe(c.detail);
    if (c.status === 422 && body.detail === 'validation failed') {
      expect(body.errors.length).toBeGreaterThan(0);
      for (const e of body.errors) expect(e.location).toMatch(/^(body|query|path|header)/);
    }
    expect(await dump()).toBe(snapshot);
  });

  it('redirects a trailing slash with 308, keeping the query', async () => {
    const res = await t.app.inject({ url: '/v0/servers/?limit=5' });
    expect(res.statusCode).toBe(308);
    expect(res.headers.location).toBe('/v0/servers?limit=5');
  });
});
