import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CURRENT_SCHEMA_URL,
  canonicalJson,
  checkRequestShape,
  validateServerJson,
} from '../../../src/registry/validation/index.js';
import { INVALID_OFFICIAL_EXAMPLES, SHARED_MISSING, readJson, sharedRegistryData } from '../../support/shared-data.js';

/**
 * Cross-checks against the official data in ../shared (never copied into the project): every official example
 * must pass our layers, and the official 2025-12-11 schema (run with Ajv) must agree with our verdicts.
 */

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const data = sharedRegistryData;
if (!data) process.stderr.write(`\n[wharf tests] ${SHARED_MISSING}\n`);
const maybe = data ? it : it.skip;

// A server aggregator's enriched copy: valid against the published JSON Schema, which leaves `_meta` open, but the
// official API refuses it (huma: `_meta` may only hold the publisher-provided key).
const AGGREGATOR_EXAMPLE = 'registry-aggregators__acting-as-a-subregistry.json';

let official: ValidateFunction;
beforeAll(() => {
  if (!data) return;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  official = ajv.compile(readJson(path.join(data, 'schemas', 'server.schema.2025-12-11.json')) as object);
});

/** Our overall verdict for a request body: request shape, then every layer `/validate` runs. */
function weAccept(body: unknown): boolean {
  const shaped = checkRequestShape(body);
  return shaped.ok && validateServerJson(shaped.value, 'all').valid;
}

function examples(): { file: string; document: unknown }[] {
  const dir = path.join(data ?? '', 'examples');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !INVALID_OFFICIAL_EXAMPLES.has(f))
    .sort()
    .map((file) => ({ file, document: readJson(path.join(dir, file)) }));
}

describe('official examples', () => {
  maybe('all pass the request shape and validateServerJson(…, "all") without errors', () => {
    const list = examples();
    expect(list.length).toBeGreaterThanOrEqual(30);
    for (const { file, document } of list) {
      expect(official(document), `${file} against the official schema`).toBe(true);
      if (file === AGGREGATOR_EXAMPLE) continue;
      const shaped = checkRequestShape(document);
      expect(shaped, file).toMatchObject({ ok: true });
      if (!shaped.ok) continue;
      const result = validateServerJson(shaped.value, 'all');
      expect(
        result.issues.filter((i) => i.severity === 'error'),
        file,
      ).toEqual([]);
      expect(result.valid).toBe(true);
      // Upstream validates the Go-marshalled form; it must stay valid too.
      expect(official(JSON.parse(canonicalJson(shaped.value))), `${file} canonical form`).toBe(true);
    }
  });

  maybe('the aggregator example, refused by the official API for its foreign _meta key, is accepted by Wharf', () => {
    const document = readJson(path.join(data ?? '', 'examples', AGGREGATOR_EXAMPLE)) as Record<string, unknown>;
    expect(checkRequestShape(document).ok).toBe(true);
    expect(weAccept(document)).toBe(true);
  });
});

const valid = () => ({
  $schema: CURRENT_SCHEMA_URL,
  name: 'io.github.example/weather',
  title: 'Weather',
  description: 'Weather data and forecasts',
  version: '1.2.3',
  repository: { url: 'https://github.com/example/weather', source: 'github' },
  websiteUrl: 'https://example.com/weather',
  icons: [{ src: 'https://example.com/icon.png', mimeType: 'image/png', sizes: ['48x48'] }],
  packages: [
    {
      registryType: 'npm',
      identifier: '@example/weather',
      version: '1.2.3',
      transport: { type: 'stdio' },
      runtimeArguments: [{ type: 'named', name: '--units', value: 'metric' }],
      packageArguments: [{ type: 'positional', valueHint: 'config_path' }],
      environmentVariables: [{ name: 'API_KEY', isSecret: true, format: 'string' }],
    },
  ],
  remotes: [
    { type: 'streamable-http', url: 'https://{region}.example.com/mcp', variables: { region: { default: 'eu' } } },
  ],
});
type Doc = ReturnType<typeof valid>;
type Mutation = [name: string, mutate: (d: Doc) => void];
const firstPackage = (d: Doc) => d.packages[0] as Record<string, unknown>;

const invalidMutations: Mutation[] = [
  ['name with a space', (d) => (d.name = 'io.github.example/wea ther')],
  ['name without a slash', (d) => (d.name = 'weather')],
  ['name too long', (d) => (d.name = `io.github.example/${'w'.repeat(200)}`)],
  ['description too long', (d) => (d.description = 'x'.repeat(101))],
  ['empty description', (d) => (d.description = '')],
  ['empty title', (d) => (d.title = '')],
  ['version longer than 255', (d) => (d.version = '1'.repeat(256))],
  ['bad fileSha256', (d) => (firstPackage(d).fileSha256 = 'ABC123')],
  ['package version latest', (d) => (firstPackage(d).version = 'latest')],
  ['unsupported package transport', (d) => (firstPackage(d).transport = { type: 'websocket', url: 'ws://x' })],
  ['http transport with a non-http URL', (d) => (firstPackage(d).transport = { type: 'sse', url: 'ftp://x.io' })],
  [
    'positional argument without value or valueHint',
    (d) => (firstPackage(d).packageArguments = [{ type: 'positional' }]),
  ],
  ['argument of unknown type', (d) => (firstPackage(d).runtimeArguments = [{ type: 'flag', name: '-v', value: '1' }])],
  ['unknown input format', (d) => (firstPackage(d).environmentVariables = [{ name: 'K', format: 'text' }])],
  ['environment variable without a name', (d) => (firstPackage(d).environmentVariables = [{ value: 'x' }])],
  [
    'repository without source',
    (d) => (d.repository = { url: 'https://github.com/example/weather' } as Doc['repository']),
  ],
  ['empty repository object', (d) => (d.repository = {} as Doc['repository'])],
  ['relative websiteUrl', (d) => (d.websiteUrl = 'example.com/weather')],
  [
    'icon with an unknown MIME type',
    (d) => (d.icons = [{ src: 'https://example.com/i.gif', mimeType: 'image/gif', sizes: [] }]),
  ],
  [
    'icon with a bad size',
    (d) => (d.icons = [{ src: 'https://example.com/i.png', mimeType: 'image/png', sizes: ['big'] }]),
  ],
  ['icon without src', (d) => (d.icons = [{ mimeType: 'image/png' } as Doc['icons'][number]])],
  ['remote of type stdio', (d) => (d.remotes = [{ type: 'stdio' } as Doc['remotes'][number]])],
  ['remote without url', (d) => (d.remotes = [{ type: 'sse' } as Doc['remotes'][number]])],
  [
    'remote variable with a bad format',
    (d) => ((d.remotes[0] as Record<string, unknown>).variables = { region: { format: 'x' } }),
  ],
  ['missing version', (d) => delete (d as Partial<Doc>).version],
];

const validMutations: Mutation[] = [
  ['non-semver version', (d) => (d.version = '2025-06-18')],
  ['no packages or remotes', (d) => ((d as Partial<Doc>).packages = undefined)],
  [
    'package transport on localhost',
    (d) => (firstPackage(d).transport = { type: 'sse', url: 'http://localhost:8080/sse' }),
  ],
  ['mcpb package with hash', (d) => (firstPackage(d).fileSha256 = 'ab'.repeat(32))],
];

describe('verdicts agree with the official 2025-12-11 schema', () => {
  maybe.each(invalidMutations)('both reject: %s', (name, mutate) => {
    const doc = valid();
    mutate(doc);
    const body = JSON.parse(JSON.stringify(doc)) as unknown;
    expect(official(body), `${name}: official schema`).toBe(false);
    expect(weAccept(body), `${name}: ours`).toBe(false);
  });

  maybe.each(validMutations)('both accept: %s', (name, mutate) => {
    const doc = valid();
    mutate(doc);
    const body = JSON.parse(JSON.stringify(doc)) as unknown;
    expect(official(body), `${name}: official schema`).toBe(true);
    expect(weAccept(body), `${name}: ours`).toBe(true);
  });
});

describe('upstream validates the Go-marshalled form', () => {
  maybe('an empty repository source is kept as published, and the schema verdict agrees with the official one', () => {
    const doc = { ...valid(), repository: { url: 'https://github.com/example/weather', source: '' } };
    expect(official(doc)).toBe(true);
    const shaped = checkRequestShape(doc);
    if (!shaped.ok) throw new Error('shape');
    expect(JSON.parse(canonicalJson(shaped.value))).toEqual(doc);
    expect(official(JSON.parse(canonicalJson(shaped.value)))).toBe(true);
    expect(validateServerJson(shaped.value, 'all').issues.map((i) => [i.type, i.path])).toEqual([
      ['semantic', 'repository.url'],
    ]);
  });
});

describe('historical seed (358 servers, 2025-09-29)', () => {
  maybe('validates with the current $schema added; 215 pass, the same set the official schema accepts', () => {
    const seed = readJson(path.join(data ?? '', 'seed', 'seed.historical-2025-09-29-358servers.json')) as object[];
    expect(seed).toHaveLength(358);
    const reasons: Record<string, number> = {};
    let passed = 0;
    for (const entry of seed) {
      const body = { $schema: CURRENT_SCHEMA_URL, ...entry };
      const ours = weAccept(body);
      expect(ours, (entry as { name: string }).name).toBe(official(body));
      if (ours) {
        passed++;
        continue;
      }
      const shaped = checkRequestShape(body);
      const problems = shaped.ok
        ? validateServerJson(shaped.value, 'all').issues.map((i) => `${i.path}: ${i.reference}`)
        : shaped.errors.map((e) => `${e.location}: ${e.message}`);
      for (const p of new Set(problems)) reasons[p] = (reasons[p] ?? 0) + 1;
    }
    process.stderr.write(`[wharf tests] historical seed: ${passed}/358 servers pass\n`);
    // The 2025-09-29 schema put no length limits on `description`; 2025-10-11 introduced 1..100 characters, and
    // the official API enforces them in its request shape. 65 seed servers have an empty description and 78 a
    // longer one; nothing else in the seed fails.
    expect(passed).toBe(215);
    expect(reasons).toEqual({
      'body.description: expected length >= 1': 65,
      'body.description: expected length <= 100': 78,
    });
  });

  maybe('the current 4-entry seed is valid as is', () => {
    const seed = readJson(path.join(data ?? '', 'seed', 'seed.json')) as object[];
    for (const entry of seed) {
      const shaped = checkRequestShape(entry);
      expect(shaped.ok && validateServerJson(shaped.value, 'all')).toEqual({ valid: true, issues: [] });
    }
  });
});
