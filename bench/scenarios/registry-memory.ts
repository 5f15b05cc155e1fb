/**
 * registry-memory: idle resident memory of the Wharf process with the full data set loaded.
 *
 * For the populated data set and, as the baseline, an empty data directory: start Wharf (pinned to the server CPU),
 * wait for /ready, send one warm-up list request (and one search, so lazily built read models exist), stay idle for
 * 2 s, then read VmRSS (and the peak, VmHWM) of the server process from /proc/<pid>/status.
 * Target: ≤ 200 MB with the data set loaded.
 */
import { cpuPlan } from '../lib/cpu.js';
import { copyDataDir, ensureDataset, workDir } from '../lib/dataset.js';
import { request, sleep } from '../lib/http.js';
import type { Row } from '../lib/report.js';
import { readMemory, type MemoryReading } from '../lib/rss.js';
import { environmentInfo, type Scenario } from '../lib/scenario.js';
import { startWharf } from '../lib/wharf.js';
import { LIST_PATH } from './registry-list.js';

const IDLE_MS = 2_000;

interface Measurement extends MemoryReading {
  readyMs: number;
  listStatus: number;
}

async function measure(dataDir: string, log: (line: string) => void, label: string): Promise<Measurement> {
  const started = performance.now();
  const wharf = await startWharf({ dataDir, label: `registry-memory-${label.replace(/\W+/g, '-')}` });
  const readyMs = performance.now() - started;
  try {
    const list = await request(wharf.baseUrl + LIST_PATH);
    if (list.status !== 200) {
      throw new Error(`${label}: GET ${LIST_PATH} answered ${list.status}: ${list.body.toString().slice(0, 300)}`);
    }
    const search = await request(`${wharf.baseUrl}/v0.1/servers?search=mcp&version=latest&limit=30`);
    if (search.status !== 200) throw new Error(`${label}: search answered ${search.status}`);
    await sleep(IDLE_MS);
    wharf.assertAlive(`the ${label} idle period`);
    const reading = readMemory(wharf.pid);
    if (!reading) throw new Error(`cannot read /proc/${wharf.pid}/status (this scenario needs Linux)`);
    log(
      `${label}: ready after ${(readyMs / 1000).toFixed(1)} s, VmRSS ${reading.rssMb.toFixed(1)} MiB, ` +
        `VmHWM ${reading.peakMb.toFixed(1)} MiB`,
    );
    return { ...reading, readyMs, listStatus: list.status };
  } finally {
    await wharf.stop();
  }
}

export const registryMemory: Scenario = {
  name: 'registry-memory',
  title: 'idle RSS with the data set loaded',
  async run(ctx) {
    const dataset = await ensureDataset(ctx.sizes.servers, { rebuild: ctx.rebuildData, log: ctx.log });
    const empty = workDir('registry-memory-empty');
    let baseline: Measurement;
    try {
      baseline = await measure(empty.dir, ctx.log, 'empty database');
    } finally {
      empty.cleanup();
    }
    const loadedDir = copyDataDir(dataset, 'registry-memory');
    let loaded: Measurement;
    try {
      loaded = await measure(loadedDir.dir, ctx.log, `${dataset.servers} servers`);
    } finally {
      loadedDir.cleanup();
    }
    const rows: Row[] = [
      {
        figure: `idle RSS, ${dataset.servers} servers`,
        value: loaded.rssMb,
        unit: 'MiB',
        baseline: { label: 'empty database', value: baseline.rssMb },
        target: { on: 'value', op: '<=', threshold: 200 },
      },
      {
        figure: 'RSS added by the data set',
        value: loaded.rssMb - baseline.rssMb,
        unit: 'MiB',
      },
      {
        figure: 'peak RSS (VmHWM) since start',
        value: loaded.peakMb,
        unit: 'MiB',
        baseline: { label: 'empty database', value: baseline.peakMb },
      },
      {
        figure: 'start-up to /ready',
        value: loaded.readyMs,
        unit: 'ms',
        baseline: { label: 'empty database', value: baseline.readyMs },
      },
    ];
    return {
      scenario: 'registry-memory',
      title: this.title,
      info: [
        ...environmentInfo(ctx, cpuPlan().description),
        `data set: ${dataset.servers} servers, ${dataset.documents} versions (${dataset.modelSource} model)`,
        `procedure: start, /ready, one list + one search request, ${IDLE_MS / 1000} s idle, read /proc/<pid>/status`,
        'MiB = 2^20 bytes (VmRSS is reported by the kernel in KiB)',
      ],
      rows,
    };
  },
};
