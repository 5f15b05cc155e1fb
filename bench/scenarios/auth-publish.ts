/**
 * auth-publish: what authentication, authorization, the per-identity publish rate limit and the audit record add to a
 * publish. Three targets on one Wharf (SQLite, fresh data dir), interleaved rounds, the same generated bodies:
 *
 * - `POST /v0/publish` with a registry JWT obtained from `POST /v0/auth/key` (verified once, then served from the
 *   verified-token cache),
 * - `POST /v0/publish` with the `wharf_…` API key itself as the bearer (HMAC digest, cached key lookup, batched
 *   last-use tracking),
 * - baseline: unauthenticated `POST /v0/validate` of the same bodies (full validation, no auth, no write).
 *
 * - a second baseline: `POST /v0/publish` with the static admin token (one SHA-256 compare, no limiter), which isolates
 *   what the JWT or key path costs on top of a publish.
 *
 * Target (from issue 3): authenticated publishes/s ≥ 0.8 × validations/s. A publish is a database write (transaction,
 * uniqueness checks, latest recomputation, audit row) and a validation is not, so that ratio mostly measures the write;
 * the admin-token rows show the authentication cost alone. The key holds `publish *` (not admin), so the publish rate
 * limiter runs on every request; its budget is set out of reach (WHARF_RATE_LIMIT_PUBLISH=1000000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuPlan } from '../lib/cpu.js';
import { request } from '../lib/http.js';
import { medianRound, runInterleaved, saturationNote, type LoadSpec } from '../lib/load.js';
import type { PublishParams } from '../lib/publish-requests.js';
import { optionalNote, type Row } from '../lib/report.js';
import { environmentInfo, type Scenario } from '../lib/scenario.js';
import { startWharf, type WharfProcess } from '../lib/wharf.js';

const CONNECTIONS = 10;
const GENERATOR_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'publish-requests.ts');

async function postJson(url: string, body: unknown, token?: string) {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = response.body.toString();
  if (response.status < 200 || response.status > 299)
    throw new Error(`POST ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export const authPublish: Scenario = {
  name: 'auth-publish',
  title: `authenticated publish (JWT, API key) vs unauthenticated /validate of the same bodies, c=${CONNECTIONS}`,
  async run(ctx) {
    const { sizes } = ctx;
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-auth-'));
    let wharf: WharfProcess | undefined;
    try {
      wharf = await startWharf({
        dataDir,
        label: 'auth-publish',
        env: { WHARF_RATE_LIMIT_PUBLISH: '1000000', WHARF_JWT_TTL_SECONDS: '86400' },
      });
      ctx.log(`Wharf ready at ${wharf.baseUrl} (pid ${wharf.pid})`);
      const created = await postJson(
        `${wharf.baseUrl}/api/v1/keys`,
        { name: 'bench', permissions: [{ action: 'publish', resource: '*' }] },
        wharf.adminToken,
      );
      const apiKey = String(created.key);
      const exchanged = await postJson(`${wharf.baseUrl}/v0/auth/key`, { key: apiKey });
      const jwt = String(exchanged.registry_token);

      const spec = (params: PublishParams): LoadSpec => ({
        url: wharf!.baseUrl + params.path,
        method: 'POST',
        connections: CONNECTIONS,
        durationSec: sizes.durationSec,
        generator: { module: GENERATOR_MODULE, exportName: 'publishRequests', params },
      });
      const pid = wharf.pid;
      ctx.log(`JWT publish vs key publish vs validate, ${sizes.rounds} round(s) of ${sizes.durationSec} s`);
      const runs = await runInterleaved(
        [
          { label: 'jwt', spec: spec({ path: '/v0/publish', token: jwt, tag: 'j' }), serverPid: pid },
          { label: 'key', spec: spec({ path: '/v0/publish', token: apiKey, tag: 'k' }), serverPid: pid },
          { label: 'validate', spec: spec({ path: '/v0/validate', tag: 'v' }), serverPid: pid },
          { label: 'admin', spec: spec({ path: '/v0/publish', token: wharf.adminToken, tag: 'a' }), serverPid: pid },
        ],
        { rounds: sizes.rounds, warmupSec: sizes.warmupSec, log: ctx.log },
      );
      wharf.assertAlive('the auth-publish load');
      const jwtRun = medianRound(runs.get('jwt') ?? []);
      const keyRun = medianRound(runs.get('key') ?? []);
      const validateRun = medianRound(runs.get('validate') ?? []);
      const adminRun = medianRound(runs.get('admin') ?? []);
      const adminBaseline = { label: 'admin-token publish', value: adminRun.ok / adminRun.durationSec };
      const failures = (label: string) =>
        (runs.get(label) ?? []).reduce((sum, run) => sum + run.non2xx + run.errors, 0);
      const baseline = { label: 'unauthenticated /validate', value: validateRun.ok / validateRun.durationSec };
      const rows: Row[] = [
        {
          figure: 'publishes/s with a registry JWT (2xx)',
          value: jwtRun.ok / jwtRun.durationSec,
          unit: '/s',
          baseline,
          target: { on: 'ratio', op: '>=', threshold: 0.8 },
          ...optionalNote(saturationNote('Wharf', jwtRun)),
        },
        {
          figure: 'publishes/s with an API key (2xx)',
          value: keyRun.ok / keyRun.durationSec,
          unit: '/s',
          baseline,
          target: { on: 'ratio', op: '>=', threshold: 0.8 },
        },
        {
          figure: 'JWT publish vs admin-token publish (auth cost)',
          value: jwtRun.ok / jwtRun.durationSec,
          unit: '/s',
          baseline: adminBaseline,
          target: { on: 'ratio', op: '>=', threshold: 0.8 },
        },
        {
          figure: 'key publish vs admin-token publish (auth cost)',
          value: keyRun.ok / keyRun.durationSec,
          unit: '/s',
          baseline: adminBaseline,
          target: { on: 'ratio', op: '>=', threshold: 0.8 },
        },
        {
          figure: 'server CPU per JWT publish',
          value: jwtRun.serverCpuUsPerRequest ?? Number.NaN,
          unit: 'µs',
          baseline: { label: 'per validate', value: validateRun.serverCpuUsPerRequest ?? Number.NaN },
        },
        {
          figure: 'server CPU per key publish',
          value: keyRun.serverCpuUsPerRequest ?? Number.NaN,
          unit: 'µs',
          baseline: { label: 'per validate', value: validateRun.serverCpuUsPerRequest ?? Number.NaN },
        },
        {
          figure: 'JWT publish p99 latency',
          value: jwtRun.latency.p99,
          unit: 'ms',
          baseline: { label: 'validate p99', value: validateRun.latency.p99 },
        },
        {
          figure: 'non-2xx responses + errors (all targets)',
          value: failures('jwt') + failures('key') + failures('validate') + failures('admin'),
          unit: '',
          target: { on: 'value', op: '<=', threshold: 0 },
        },
      ];
      return {
        scenario: 'auth-publish',
        title: this.title,
        info: [
          ...environmentInfo(ctx, cpuPlan().description),
          'data: a fresh SQLite data dir (publishes accumulate over the run); bodies: 300 generated templates with ' +
            'unique names and remote URLs, identical generator for all four targets',
          `load: autocannon c=${CONNECTIONS}, ${sizes.rounds} interleaved round(s) of ${sizes.durationSec} s after ` +
            `${sizes.warmupSec} s warm-up per target; median round. Every publish writes its audit row too.`,
        ],
        rows,
      };
    } finally {
      await wharf?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
