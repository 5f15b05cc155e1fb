/**
 * registry-publish: `POST /v0/publish` (the path the official mcp-publisher CLI calls) with the admin bearer token
 * (WHARF_ADMIN_TOKEN), on SQLite, on a copy of the populated data set (so remote-URL uniqueness and duplicate checks
 * run against 25 000 servers). Every request publishes a realistic, never-seen name (bench/lib/publish-requests.ts).
 *
 * Baseline: a raw node:http server that reads the same request bodies and echoes them back, pinned to the same CPU,
 * same autocannon settings, interleaved rounds. Target: ≥ 300 publishes/s (2xx responses only).
 *
 * Package ownership validation (WHARF_PACKAGE_VALIDATION) stays at its default (off), so no publish leaves the machine.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuPlan } from '../lib/cpu.js';
import { copyDataDir, ensureDataset } from '../lib/dataset.js';
import { request } from '../lib/http.js';
import { medianRound, runInterleaved, saturationNote, type LoadSpec } from '../lib/load.js';
import { publishTemplates, uniqueDocument, type PublishParams } from '../lib/publish-requests.js';
import { startRawServer, type RawServer } from '../lib/raw-server.js';
import { optionalNote, type Row } from '../lib/report.js';
import { environmentInfo, type Scenario } from '../lib/scenario.js';
import { startWharf, type WharfProcess } from '../lib/wharf.js';

const PUBLISH_PATH = '/v0/publish';
const CONNECTIONS = 10;
const SCENARIO_LABEL = 'registry-publish';
const GENERATOR_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'publish-requests.ts');

export const registryPublish: Scenario = {
  name: 'registry-publish',
  title: `publish unique servers (POST ${PUBLISH_PATH}, c=${CONNECTIONS}) on SQLite`,
  async run(ctx) {
    const { sizes } = ctx;
    const dataset = await ensureDataset(sizes.servers, { rebuild: ctx.rebuildData, log: ctx.log });
    const work = copyDataDir(dataset, 'registry-publish');
    let wharf: WharfProcess | undefined;
    let raw: RawServer | undefined;
    try {
      wharf = await startWharf({ dataDir: work.dir, label: SCENARIO_LABEL });
      ctx.log(`Wharf ready at ${wharf.baseUrl} (pid ${wharf.pid})`);

      // One publish by hand first: a wrong status here is reported as is, not hidden in load figures.
      const smoke = uniqueDocument(publishTemplates(1)[0]!, `smoke${Date.now().toString(36)}`);
      const published = await request(wharf.baseUrl + PUBLISH_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${wharf.adminToken}` },
        body: JSON.stringify(smoke),
      });
      if (published.status < 200 || published.status > 299) {
        throw new Error(
          `POST ${PUBLISH_PATH} (${smoke.name}) answered ${published.status}: ${published.body.toString().slice(0, 800)}`,
        );
      }
      const readBack = await request(
        `${wharf.baseUrl}/v0.1/servers/${encodeURIComponent(smoke.name)}/versions/${encodeURIComponent(smoke.version)}`,
      );
      if (readBack.status !== 200) {
        throw new Error(
          `published ${smoke.name}@${smoke.version} (status ${published.status}) but reading it back answered ` +
            `${readBack.status}: ${readBack.body.toString().slice(0, 300)}`,
        );
      }

      raw = await startRawServer({ mode: 'echo', status: 200, headers: { 'content-type': 'application/json' } });
      const spec = (baseUrl: string, params: PublishParams): LoadSpec => ({
        url: baseUrl + PUBLISH_PATH,
        method: 'POST',
        connections: CONNECTIONS,
        durationSec: sizes.durationSec,
        generator: { module: GENERATOR_MODULE, exportName: 'publishRequests', params },
      });
      ctx.log(`publish: Wharf vs raw echo, ${sizes.rounds} round(s) of ${sizes.durationSec} s, c=${CONNECTIONS}`);
      const runs = await runInterleaved(
        [
          {
            label: 'wharf',
            spec: spec(wharf.baseUrl, { path: PUBLISH_PATH, token: wharf.adminToken, tag: 'b' }),
            serverPid: wharf.pid,
          },
          { label: 'raw', spec: spec(raw.baseUrl, { path: PUBLISH_PATH, tag: 'r' }), serverPid: raw.pid },
        ],
        { rounds: sizes.rounds, warmupSec: sizes.warmupSec, log: ctx.log },
      );
      wharf.assertAlive('the publish load');
      const wharfRun = medianRound(runs.get('wharf') ?? []);
      const rawRun = medianRound(runs.get('raw') ?? []);
      const publishesPerSec = wharfRun.ok / wharfRun.durationSec;
      const failed = (runs.get('wharf') ?? []).reduce((sum, run) => sum + run.non2xx + run.errors, 0);
      const statusCodes = (runs.get('wharf') ?? []).map((run) => JSON.stringify(run.statusCodes)).join(' ');

      const rows: Row[] = [
        {
          figure: `publishes/s (2xx), c=${CONNECTIONS}`,
          value: publishesPerSec,
          unit: '/s',
          baseline: { label: 'raw node:http POST echo', value: rawRun.rps },
          target: { on: 'value', op: '>=', threshold: 300 },
          ...optionalNote(saturationNote('the raw echo server', rawRun)),
        },
        {
          figure: `publish p50 latency, c=${CONNECTIONS}`,
          value: wharfRun.latency.p50,
          unit: 'ms',
          baseline: { label: 'raw echo', value: rawRun.latency.p50 },
        },
        {
          figure: `publish p99 latency, c=${CONNECTIONS}`,
          value: wharfRun.latency.p99,
          unit: 'ms',
          baseline: { label: 'raw echo', value: rawRun.latency.p99 },
        },
        {
          figure: 'server CPU per publish',
          value: wharfRun.serverCpuUsPerRequest ?? Number.NaN,
          unit: 'µs',
          baseline: { label: 'raw echo', value: rawRun.serverCpuUsPerRequest ?? Number.NaN },
        },
        {
          figure: 'non-2xx responses + errors (Wharf)',
          value: failed,
          unit: '',
          target: { on: 'value', op: '<=', threshold: 0 },
          ...(failed > 0 ? { note: `status codes per round: ${statusCodes}` } : {}),
        },
      ];
      return {
        scenario: 'registry-publish',
        title: this.title,
        info: [
          ...environmentInfo(ctx, cpuPlan().description),
          `data set: ${dataset.servers} servers, ${dataset.documents} versions before publishing (SQLite copy)`,
          `bodies: first versions of 300 generated templates, unique names and remote URLs per request`,
          `load: autocannon c=${CONNECTIONS} with a request generator, ${sizes.rounds} interleaved round(s) of ` +
            `${sizes.durationSec} s after ${sizes.warmupSec} s warm-up (warm-up publishes are real too); median round`,
        ],
        rows,
      };
    } finally {
      await raw?.stop();
      await wharf?.stop();
      work.cleanup();
    }
  },
};
