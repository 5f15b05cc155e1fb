/**
 * The official MCP conformance suite against the gateway in front of the suite's own fixture server, in both eras
 * (docs/gateway.md#conformance). Slow (minutes) and needs the network (npx fetches Node 22 and the suite), so it only
 * runs under `npm run conformance` (WHARF_CONFORMANCE=1); the default suite reports it as skipped.
 *
 * The fixture (`examples/servers/typescript/everything-server.ts` of modelcontextprotocol/conformance) is not on npm
 * and is not part of this repository: set WHARF_CONFORMANCE_FIXTURE to a local copy, or let the test download the
 * pinned revision. It runs with this repository's node_modules (SDK v1, express, cors, tsx).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamEndpoints } from '../../src/gateway/service.js';
import { adminHeaders, createTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { publish } from '../mcp/support.js';
import { deadPort } from './support.js';

const ENABLED = process.env.WHARF_CONFORMANCE === '1';
const SUITE = '@modelcontextprotocol/conformance@0.2.0-alpha.12';
const FIXTURE_COMMIT = 'c321dd32035556e6769d3724a8ee97d87c3faaac';
const FIXTURE_URL = `https://raw.githubusercontent.com/modelcontextprotocol/conformance/${FIXTURE_COMMIT}/examples/servers/typescript/everything-server.ts`;
/** Inside node_modules so the fixture's imports resolve to this repository's packages. */
const WORK_DIR = path.resolve('node_modules/.cache/wharf-conformance');
const run = promisify(execFile);

if (!ENABLED) {
  console.info('conformance: skipped (run `npm run conformance`: needs the network for npx, takes minutes)');
}

async function fixturePath(): Promise<string> {
  const given = process.env.WHARF_CONFORMANCE_FIXTURE;
  await mkdir(WORK_DIR, { recursive: true });
  const target = path.join(WORK_DIR, 'everything-server.ts');
  if (given) {
    await writeFile(target, await readFile(given));
    return target;
  }
  const response = await fetch(FIXTURE_URL).catch((error: unknown) => {
    throw new Error(
      `cannot download the conformance fixture (${String(error)}): set WHARF_CONFORMANCE_FIXTURE to a local copy of ` +
        `examples/servers/typescript/everything-server.ts from modelcontextprotocol/conformance@${FIXTURE_COMMIT}`,
    );
  });
  if (!response.ok) throw new Error(`conformance fixture download failed: ${response.status} ${FIXTURE_URL}`);
  await writeFile(target, await response.text());
  return target;
}

interface Check {
  id?: string;
  name?: string;
  status: string;
}

/** Pass and fail counts of one run, from the per-scenario checks.json files the suite writes. */
async function tally(dir: string): Promise<{ passed: number; failed: number; failures: string[] }> {
  let passed = 0;
  let failed = 0;
  const failures: string[] = [];
  for (const scenario of await readdir(dir)) {
    let checks: Check[];
    try {
      checks = JSON.parse(await readFile(path.join(dir, scenario, 'checks.json'), 'utf8')) as Check[];
    } catch {
      continue;
    }
    for (const check of checks) {
      if (check.status === 'SUCCESS') passed++;
      else if (check.status === 'FAILURE') {
        failed++;
        failures.push(`${scenario.replace(/^server-|-\d.*$/g, '')}:${check.id ?? check.name ?? '?'}`);
      }
    }
  }
  return { passed, failed, failures };
}

describe.skipIf(!ENABLED)('MCP conformance suite through the gateway', () => {
  let t: TestApp;
  let url: string;
  let stopFixture: () => void = () => undefined;

  beforeAll(async () => {
    const fixture = await fixturePath();
    const port = await deadPort();
    const child = spawn(path.resolve('node_modules/.bin/tsx'), [fixture], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stopFixture = () => child.kill('SIGTERM');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('conformance fixture did not start')), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('running on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`conformance fixture exited (${code})`)));
    });
    const endpoints: UpstreamEndpoints = () => [`http://127.0.0.1:${port}/mcp`];
    t = await createTestApp({
      env: {
        WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
        WHARF_AUTH_ANONYMOUS: 'true',
        WHARF_GATEWAY_PASSTHROUGH_ALIASES: 'fixture',
        // The fixture's 2026-07-28 tools/call results lack resultType (a known fixture bug): talk 2025-11-25 to it.
        WHARF_GATEWAY_LEGACY_ALIASES: 'fixture',
        // The fixture never acknowledges subscriptions/listen: connect() waits out 3/4 of this budget.
        WHARF_GATEWAY_CONNECT_TIMEOUT_MS: '5000',
        WHARF_SECRET_KEY: 'gateway-test-secret-key-0123456789abcdef',
      },
      overrides: { gatewayEndpoints: endpoints },
    });
    url = `${await t.app.listen({ host: '127.0.0.1', port: 0 })}/mcp`;
    await publish(t, 'io.github.acme/fixture', '1.0.0', {
      remotes: [{ type: 'streamable-http', url: 'https://fixture.example.com/mcp' }],
    });
    const attached = await t.app.inject({
      method: 'POST',
      url: '/api/v1/gateway/upstreams',
      headers: adminHeaders,
      payload: { server: 'io.github.acme/fixture', alias: 'fixture' },
    });
    expect(attached.statusCode, attached.body).toBe(201);
    // The first list connects the upstream; the suite must see the fixture's tools from its first request on.
    const listed = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'warm-up', version: '1' } },
      }),
    });
    await listed.text();
    const status = await t.app.inject({
      method: 'GET',
      url: '/api/v1/gateway/upstreams/fixture',
      headers: adminHeaders,
    });
    expect(status.json().status, status.body).toMatchObject({ state: 'ready' });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    stopFixture();
  });

  it.each(
    ['2025-11-25', '2026-07-28'].filter(
      (r) => !process.env.WHARF_CONFORMANCE_ONLY || r === process.env.WHARF_CONFORMANCE_ONLY,
    ),
  )(
    'runs the %s requirements',
    async (revision) => {
      const out = path.join(WORK_DIR, `results-${revision}-${Date.now()}`);
      const result = await run(
        'npx',
        [
          '-y',
          '-p',
          'node@22',
          '-p',
          SUITE,
          '--',
          'conformance',
          'server',
          '--url',
          url,
          '--requirements',
          revision,
          '-o',
          out,
        ],
        { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      ).catch((error: { stdout?: string; stderr?: string }) => error);
      const { passed, failed, failures } = await tally(out);
      console.info(`conformance ${revision}: ${passed} passed, ${failed} failed\n  ${failures.join('\n  ')}`);
      expect(passed, String(result.stderr ?? '')).toBeGreaterThan(0);
      expect(passed).toBeGreaterThanOrEqual(BASELINE[revision] ?? 0);
    },
    900_000,
  );
});

/**
 * Passed checks on the last full run (2026-11-21, input requests relayed); the remaining failures are listed and
 * explained in docs/gateway.md#conformance. A drop below these numbers is a regression.
 */
const BASELINE: Record<string, number> = {
  '2025-11-25': 81,
  '2026-07-28': 129,
};
