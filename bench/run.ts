/**
 * Benchmark dispatcher: `npm run bench -- <scenario…|all> [--quick] [--rebuild-data] [--markdown]`.
 * Without a scenario it lists them. See docs/performance.md.
 *
 * Exit code: 0 when every scenario ran and met its targets, 1 when a target was missed, 2 when a scenario failed to
 * run (server crash, wrong status, missing build…), 64 for a usage error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CACHE_ROOT } from './lib/dataset.js';
import { installCleanupHandlers } from './lib/children.js';
import { cpuPlan, pinSelfToLoadCpu } from './lib/cpu.js';
import { passed, renderMarkdown, renderReport, type ScenarioReport } from './lib/report.js';
import { FULL_SIZES, QUICK_SIZES, type Scenario, type ScenarioContext } from './lib/scenario.js';
import { WHARF_CLI, assertBuilt } from './lib/wharf.js';
import { gatewayScenario } from './scenarios/gateway.js';
import { gatewayPeers } from './scenarios/gateway-peers.js';
import { mcpRegistry } from './scenarios/mcp-registry.js';
import { contexts } from './scenarios/contexts.js';
import { heartbeats } from './scenarios/heartbeats.js';
import { livenessProbes } from './scenarios/liveness-probes.js';
import { registryList } from './scenarios/registry-list.js';
import { registryMemory } from './scenarios/registry-memory.js';
import { registryPublish } from './scenarios/registry-publish.js';
import { registrySearch } from './scenarios/registry-search.js';
import { authPublish } from './scenarios/auth-publish.js';
import { sync } from './scenarios/sync.js';

const SCENARIOS: readonly Scenario[] = [
  registryList,
  registrySearch,
  registryPublish,
  registryMemory,
  mcpRegistry,
  authPublish,
  sync,
  contexts,
  heartbeats,
  livenessProbes,
  gatewayScenario,
  gatewayPeers,
];

function usage(): string {
  return [
    'usage: npm run bench -- <scenario…|all> [--quick] [--rebuild-data] [--markdown]',
    '',
    'scenarios:',
    ...SCENARIOS.map((scenario) => `  ${scenario.name.padEnd(18)} ${scenario.title}`),
    `  ${'all'.padEnd(18)} every scenario above, in this order`,
    '',
    'options:',
    `  --quick          smoke run: ${QUICK_SIZES.servers} servers, ${QUICK_SIZES.durationSec} s rounds ×${QUICK_SIZES.rounds}`,
    `                   (default: ${FULL_SIZES.servers} servers, ${FULL_SIZES.durationSec} s rounds ×${FULL_SIZES.rounds})`,
    '  --rebuild-data   regenerate and re-import the cached data set (bench/.cache/)',
    '  --markdown       also print each table as markdown (for docs/performance.md)',
    '',
    'Needs a build (npm run build). Pins Wharf to one CPU and the load generator to another with taskset.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const flags = new Set(argv.filter((arg) => arg.startsWith('--')));
  const names = argv.filter((arg) => !arg.startsWith('--'));
  const unknownFlags = [...flags].filter((flag) => !['--quick', '--rebuild-data', '--markdown'].includes(flag));
  if (names.length === 0 || unknownFlags.length > 0) {
    if (unknownFlags.length) console.error(`unknown option(s): ${unknownFlags.join(' ')}\n`);
    console.log(usage());
    return unknownFlags.length ? 64 : 0;
  }
  const selected: Scenario[] = [];
  for (const name of names) {
    const matches = name === 'all' ? SCENARIOS : SCENARIOS.filter((scenario) => scenario.name === name);
    if (matches.length === 0) {
      console.error(`unknown scenario "${name}"\n`);
      console.log(usage());
      return 64;
    }
    for (const scenario of matches) if (!selected.includes(scenario)) selected.push(scenario);
  }

  installCleanupHandlers();
  assertBuilt();
  pinSelfToLoadCpu();
  const quick = flags.has('--quick');
  const ctx: ScenarioContext = {
    quick,
    rebuildData: flags.has('--rebuild-data'),
    sizes: quick ? QUICK_SIZES : FULL_SIZES,
    log: (line) => console.log(`[bench] ${line}`),
  };
  const cpus = os.cpus();
  console.log(
    `Wharf benchmarks: ${selected.map((s) => s.name).join(', ')}${quick ? ' (quick)' : ''}\n` +
      `machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; ` +
      `${cpuPlan().description}\n` +
      `Wharf: ${path.relative(process.cwd(), WHARF_CLI)}${process.env.WHARF_BENCH_CLI ? ' (WHARF_BENCH_CLI)' : ''}`,
  );

  const reports: ScenarioReport[] = [];
  const errors: { scenario: string; message: string }[] = [];
  for (const scenario of selected) {
    const started = performance.now();
    ctx.log(`--- ${scenario.name}`);
    try {
      // A later run must never reuse the earlier run's value: each flag is set once, the data set may be rebuilt once.
      const report = await scenario.run(ctx);
      ctx.rebuildData = false;
      reports.push(report);
      console.log(renderReport(report));
      if (flags.has('--markdown')) console.log(`\n${renderMarkdown(report)}`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push({ scenario: scenario.name, message });
      console.error(`\n== ${scenario.name}: FAILED TO RUN\n${message}`);
    }
    ctx.log(`${scenario.name} took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }

  const missed = reports.flatMap((report) =>
    report.rows.filter((row) => passed(row) === false).map((row) => `${report.scenario}: ${row.figure}`),
  );
  const resultsDir = path.join(CACHE_ROOT, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = path.join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    resultsFile,
    JSON.stringify({ quick, cpu: cpuPlan(), node: process.version, reports, errors, missed }, null, 2) + '\n',
  );
  console.log(`\nresults saved to ${path.relative(process.cwd(), resultsFile)}`);
  if (errors.length) console.log(`scenarios that failed to run: ${errors.map((e) => e.scenario).join(', ')}`);
  if (missed.length) console.log(`targets missed:\n${missed.map((line) => `  ${line}`).join('\n')}`);
  if (!errors.length && !missed.length) console.log('all targets met');
  return errors.length ? 2 : missed.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
