/**
 * registry-list: `GET /v0.1/servers?version=latest&limit=30` at 50 connections on the full data set.
 *
 *  1. Throughput and latency against a raw node:http server that returns the identical response bytes (fetched from
 *     Wharf first), both pinned to the server CPU, measured in interleaved rounds in the same run.
 *     Targets: throughput ≥ 50 % of raw; p99 ≤ 25 ms.
 *  2. Deep cursors: walk the pages sequentially to page 500 (following metadata.nextCursor, URL-encoded), then load
 *     page 1 and page 500 the same way. Target: page 500 costs the same as page 1 (throughput ratio ≥ 0.8, the noise
 *     band of these machines). The sequential walk also gives per-page latency near the start and near the end.
 */
import { cpuPlan } from '../lib/cpu.js';
import { copyDataDir, ensureDataset } from '../lib/dataset.js';
import { request } from '../lib/http.js';
import { medianRound, runInterleaved, saturationNote, totalFailures, type LoadSpec } from '../lib/load.js';
import { startRawServer, type RawServer } from '../lib/raw-server.js';
import { optionalNote, type Row } from '../lib/report.js';
import { environmentInfo, type Scenario } from '../lib/scenario.js';
import { summarise } from '../lib/stats.js';
import { startWharf, type WharfProcess } from '../lib/wharf.js';

export const LIST_PATH = '/v0.1/servers?version=latest&limit=30';
const CONNECTIONS = 50;
const SCENARIO_LABEL = 'registry-list';

interface ListPage {
  servers?: unknown[];
  metadata?: { nextCursor?: string; count?: number };
}

export function parseListPage(body: Buffer, what: string): ListPage {
  try {
    const page = JSON.parse(body.toString()) as ListPage;
    if (!Array.isArray(page.servers)) throw new Error('no "servers" array');
    return page;
  } catch (error) {
    throw new Error(
      `${what}: not a list response (${error instanceof Error ? error.message : error}): ${body.toString().slice(0, 300)}`,
      { cause: error },
    );
  }
}

export const registryList: Scenario = {
  name: 'registry-list',
  title: 'list latest servers (limit 30, c=50) and deep cursors',
  async run(ctx) {
    const { sizes } = ctx;
    const dataset = await ensureDataset(sizes.servers, { rebuild: ctx.rebuildData, log: ctx.log });
    const work = copyDataDir(dataset, 'registry-list');
    let wharf: WharfProcess | undefined;
    let raw: RawServer | undefined;
    try {
      wharf = await startWharf({ dataDir: work.dir, label: SCENARIO_LABEL });
      ctx.log(`Wharf ready at ${wharf.baseUrl} (pid ${wharf.pid})`);

      // The exact bytes Wharf answers, to be replayed by the raw baseline.
      const first = await request(wharf.baseUrl + LIST_PATH);
      if (first.status !== 200) {
        throw new Error(`GET ${LIST_PATH} answered ${first.status}: ${first.body.toString().slice(0, 500)}`);
      }
      const page1 = parseListPage(first.body, `GET ${LIST_PATH}`);
      if (page1.servers?.length !== 30 || !page1.metadata?.nextCursor) {
        throw new Error(
          `GET ${LIST_PATH} returned ${page1.servers?.length} servers and nextCursor ${page1.metadata?.nextCursor}; ` +
            `expected 30 and a cursor with ${dataset.servers} servers imported`,
        );
      }
      const contentType = String(first.headers['content-type'] ?? 'application/json; charset=utf-8');
      raw = await startRawServer({
        mode: 'fixed',
        status: 200,
        headers: { 'content-type': contentType },
        bodyBase64: first.body.toString('base64'),
      });

      const spec = (url: string): LoadSpec => ({ url, connections: CONNECTIONS, durationSec: sizes.durationSec });
      ctx.log(`list: Wharf vs raw node:http, ${sizes.rounds} round(s) of ${sizes.durationSec} s, c=${CONNECTIONS}`);
      const listRuns = await runInterleaved(
        [
          { label: 'wharf', spec: spec(wharf.baseUrl + LIST_PATH), serverPid: wharf.pid },
          { label: 'raw', spec: spec(raw.baseUrl + LIST_PATH), serverPid: raw.pid },
        ],
        { rounds: sizes.rounds, warmupSec: sizes.warmupSec, log: ctx.log },
      );
      wharf.assertAlive('the list load');
      await raw.stop();
      raw = undefined;

      // Walk to the deep page, sequentially, following the cursor exactly as a client would.
      const maxPage = Math.floor(dataset.servers / 30) - 1;
      const deepPage = Math.max(2, Math.min(500, maxPage));
      const walkMs: number[] = [];
      let cursor = page1.metadata.nextCursor;
      const walkDeadline = Date.now() + 300_000;
      for (let page = 2; page <= deepPage; page++) {
        if (Date.now() > walkDeadline) throw new Error(`cursor walk exceeded 300 s at page ${page}`);
        const path = `${LIST_PATH}&cursor=${encodeURIComponent(cursor)}`;
        const response = await request(wharf.baseUrl + path);
        walkMs.push(response.ms);
        if (response.status !== 200) {
          throw new Error(
            `GET ${path} (page ${page}) answered ${response.status}: ${response.body.toString().slice(0, 300)}`,
          );
        }
        const body = parseListPage(response.body, `page ${page}`);
        if (body.servers?.length !== 30)
          throw new Error(`page ${page} has ${body.servers?.length} servers, expected 30`);
        if (page === deepPage) break;
        const next = body.metadata?.nextCursor;
        if (!next) throw new Error(`page ${page} has no nextCursor`);
        cursor = next;
      }
      const deepPath = `${LIST_PATH}&cursor=${encodeURIComponent(cursor)}`;
      ctx.log(`deep cursor: page ${deepPage} is ${deepPath}`);

      ctx.log(`deep cursor: page 1 vs page ${deepPage}, ${sizes.rounds} round(s) of ${sizes.durationSec} s`);
      const deepRuns = await runInterleaved(
        [
          { label: 'page 1', spec: spec(wharf.baseUrl + LIST_PATH), serverPid: wharf.pid },
          { label: `page ${deepPage}`, spec: spec(wharf.baseUrl + deepPath), serverPid: wharf.pid },
        ],
        { rounds: sizes.rounds, warmupSec: sizes.warmupSec, log: ctx.log },
      );
      wharf.assertAlive('the deep-cursor load');

      const wharfList = medianRound(listRuns.get('wharf') ?? []);
      const rawList = medianRound(listRuns.get('raw') ?? []);
      const shallow = medianRound(deepRuns.get('page 1') ?? []);
      const deep = medianRound(deepRuns.get(`page ${deepPage}`) ?? []);
      const window = Math.min(50, Math.floor(walkMs.length / 2));
      const walkStart = summarise(walkMs.slice(0, window));
      const walkEnd = summarise(walkMs.slice(-window));
      const failures = totalFailures([
        ...(listRuns.get('wharf') ?? []),
        ...(deepRuns.get('page 1') ?? []),
        ...(deepRuns.get(`page ${deepPage}`) ?? []),
      ]);

      const rows: Row[] = [
        {
          figure: `list throughput, c=${CONNECTIONS}`,
          value: wharfList.rps,
          unit: 'req/s',
          baseline: { label: 'raw node:http, same bytes', value: rawList.rps },
          target: { on: 'ratio', op: '>=', threshold: 0.5 },
          ...optionalNote(saturationNote('the raw server', rawList)),
        },
        {
          figure: `list p99 latency, c=${CONNECTIONS}`,
          value: wharfList.latency.p99,
          unit: 'ms',
          baseline: { label: 'raw', value: rawList.latency.p99 },
          target: { on: 'value', op: '<=', threshold: 25 },
        },
        {
          figure: `list p50 latency, c=${CONNECTIONS}`,
          value: wharfList.latency.p50,
          unit: 'ms',
          baseline: { label: 'raw', value: rawList.latency.p50 },
        },
        {
          figure: 'server CPU per list request',
          value: wharfList.serverCpuUsPerRequest ?? Number.NaN,
          unit: 'µs',
          baseline: { label: 'raw', value: rawList.serverCpuUsPerRequest ?? Number.NaN },
          note: 'CPU time of the server process (/proc/<pid>/stat) divided by responses: insensitive to load-generator limits',
        },
        {
          figure: `page ${deepPage} throughput, c=${CONNECTIONS}`,
          value: deep.rps,
          unit: 'req/s',
          baseline: { label: 'page 1', value: shallow.rps },
          target: { on: 'ratio', op: '>=', threshold: 0.8 },
          note: 'deep cursors must cost the same as page 1; 0.8 is the noise band of a 2-vCPU machine',
        },
        {
          figure: `server CPU per request, page ${deepPage}`,
          value: deep.serverCpuUsPerRequest ?? Number.NaN,
          unit: 'µs',
          baseline: { label: 'page 1', value: shallow.serverCpuUsPerRequest ?? Number.NaN },
        },
        {
          figure: `page ${deepPage} p99 latency, c=${CONNECTIONS}`,
          value: deep.latency.p99,
          unit: 'ms',
          baseline: { label: 'page 1', value: shallow.latency.p99 },
        },
        {
          figure: `sequential walk p50, last ${window} pages`,
          value: walkEnd.p50,
          unit: 'ms',
          baseline: { label: `first ${window} pages`, value: walkStart.p50 },
        },
        {
          figure: 'non-2xx responses + errors (Wharf)',
          value: failures.non2xx + failures.errors,
          unit: '',
          target: { on: 'value', op: '<=', threshold: 0 },
        },
      ];
      return {
        scenario: 'registry-list',
        title: this.title,
        info: [
          ...environmentInfo(ctx, cpuPlan().description),
          `data set: ${dataset.servers} servers, ${dataset.documents} versions (${dataset.modelSource} model)` +
            (dataset.imported !== undefined ? `, ${dataset.imported} imported` : ''),
          `response: ${first.body.length} bytes, content-type ${contentType}`,
          `load: autocannon c=${CONNECTIONS}, ${sizes.rounds} interleaved round(s) of ${sizes.durationSec} s after ` +
            `${sizes.warmupSec} s warm-up; median round shown; autocannon latencies have 1 ms resolution`,
        ],
        rows,
      };
    } finally {
      await raw?.stop();
      const exit = await wharf?.stop();
      if (exit && exit.code !== 0 && exit.code !== null)
        ctx.log(`note: Wharf exited with code ${exit.code} on SIGTERM`);
      work.cleanup();
    }
  },
};
