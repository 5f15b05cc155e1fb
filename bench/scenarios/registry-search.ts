/**
 * registry-search: the ranked search `GET /v0.1/servers?search=<terms>&version=latest&limit=30` on the full data
 * set, with the read cache off, and the facets endpoint `GET /api/v1/registry/facets?search=<terms>`.
 *
 * The terms are a realistic mix drawn from the data set's own names: common words ("mcp", "server", owners with
 * many servers), medium ones (subject words), rare ones (one server's full name or slug), terms that match nothing
 * (the worst case for a scan), multi-word queries (every word must match, in any field), and mixed case. The
 * expected number of name matches of each term is computed here from the generated names: the ranked search must
 * return at least those (it is a superset of the official substring-on-name search).
 *
 * Per-request latency is measured two ways, each against the unfiltered list page as the baseline in the same run:
 *  - sequential requests over one keep-alive connection, timed with performance.now() (sub-millisecond), search and
 *    baseline requests alternating so that drift hits both equally;
 *  - autocannon at c=20 cycling through the same mix (1 ms latency resolution, includes queueing, gives throughput).
 * Targets (issue 4): search p50 ≤ 5 ms and p99 ≤ 20 ms at 20 connections; facets of the common terms (the words
 * most names have) p50 ≤ 20 ms sequential, reported per term class next to the list page of the same loop.
 */
import { Rng } from '../data/prng.js';
import { cpuPlan } from '../lib/cpu.js';
import { copyDataDir, ensureDataset } from '../lib/dataset.js';
import { request } from '../lib/http.js';
import { medianRound, runInterleaved, totalFailures } from '../lib/load.js';
import type { Row } from '../lib/report.js';
import { environmentInfo, type Scenario } from '../lib/scenario.js';
import { summarise } from '../lib/stats.js';
import { startWharf, type WharfProcess } from '../lib/wharf.js';
import { LIST_PATH, parseListPage } from './registry-list.js';

const SCENARIO_LABEL = 'registry-search';

type TermClass = 'common' | 'medium' | 'rare' | 'none' | 'multi';

interface Term {
  term: string;
  cls: TermClass;
  /** Servers whose name contains the term, case-insensitively. */
  nameMatches: number;
}

const CLASS_WEIGHTS: readonly (readonly [TermClass, number])[] = [
  ['common', 30],
  ['medium', 25],
  ['rare', 15],
  ['none', 10],
  ['multi', 20],
];

const CONNECTIONS = 20;

export function facetsPath(term: string): string {
  return `/api/v1/registry/facets?search=${encodeURIComponent(term)}`;
}

export function searchPath(term: string): string {
  return `/v0.1/servers?search=${encodeURIComponent(term)}&version=latest&limit=30`;
}

/** Picks the term mix from the data set's names (deterministic). */
export function pickTerms(names: readonly string[]): Term[] {
  const lower = names.map((name) => name.toLowerCase());
  const count = (term: string): number => {
    const needle = term.toLowerCase();
    let matches = 0;
    for (const name of lower) if (name.includes(needle)) matches++;
    return matches;
  };
  const total = names.length;
  const terms: Term[] = [];
  const add = (term: string, cls: TermClass): void => {
    if (terms.some((existing) => existing.term === term)) return;
    terms.push({ term, cls, nameMatches: count(term) });
  };

  // Common: the substrings nearly every name has, plus the most prolific namespaces.
  for (const term of ['mcp', 'server', 'io.github', 'MCP']) add(term, 'common');
  const namespaces = new Map<string, number>();
  for (const name of names) {
    const namespace = name.split('/')[0] ?? '';
    namespaces.set(namespace, (namespaces.get(namespace) ?? 0) + 1);
  }
  const prolific = [...namespaces].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 2);
  for (const [namespace] of prolific) add(namespace.replace(/^io\.github\./, ''), 'common');

  // Medium: subject words with a moderate number of matches (about 0.1 %–2 % of the names).
  const rng = new Rng('search-terms');
  const candidates = [
    'postgres',
    'slack',
    'weather',
    'stripe',
    'kubernetes',
    'notion',
    'GitHub',
    'jira',
    'docker',
    'memory',
    'browser',
    'finance',
  ];
  for (const term of candidates) {
    const matches = count(term);
    if (matches >= Math.max(2, total * 0.001) && matches <= total * 0.02) add(term, 'medium');
    if (terms.filter((t) => t.cls === 'medium').length >= 6) break;
  }

  // Rare: one server's full name, or a slug that appears once or twice.
  for (let attempt = 0; attempt < 200 && terms.filter((t) => t.cls === 'rare').length < 6; attempt++) {
    const name = rng.pick(names);
    const slug = name.split('/')[1] ?? name;
    const term = attempt % 2 === 0 ? name : slug;
    const matches = count(term);
    if (matches >= 1 && matches <= 3) add(term, 'rare');
  }

  // None: terms that match nothing, forcing a full scan in a naive implementation.
  for (const term of ['zzqx', 'nomatch-7f3a9c', 'weather_station_xyz', 'ẑẑqxÿ']) {
    if (count(term) === 0) add(term, 'none');
  }

  // Multi-word: common + subject words, and two subject words (all words must match, in any field and order).
  for (const term of [
    'mcp server',
    'github mcp',
    'postgres database',
    'slack messages',
    'weather forecast',
    'browser automation',
    'kubernetes cluster',
    'server for files',
  ]) {
    add(term, 'multi');
  }
  return terms;
}

/** The request sequence: classes by weight, a term within the class, deterministic. */
function requestMix(terms: readonly Term[], length: number): Term[] {
  const rng = new Rng('search-mix');
  const byClass = new Map<TermClass, Term[]>();
  for (const term of terms) byClass.set(term.cls, [...(byClass.get(term.cls) ?? []), term]);
  const weights = CLASS_WEIGHTS.filter(([cls]) => (byClass.get(cls)?.length ?? 0) > 0);
  return Array.from({ length }, () => rng.pick(byClass.get(rng.weighted(weights)) ?? []));
}

export const registrySearch: Scenario = {
  name: 'registry-search',
  title: 'ranked search and facets (term mix, multi-word) on the full data set, cache off',
  async run(ctx) {
    const { sizes } = ctx;
    const dataset = await ensureDataset(sizes.servers, { rebuild: ctx.rebuildData, log: ctx.log });
    const terms = pickTerms(dataset.names);
    const sequentialCount = ctx.quick ? 300 : 1500;
    const mix = requestMix(terms, sequentialCount);
    const work = copyDataDir(dataset, 'registry-search');
    let wharf: WharfProcess | undefined;
    try {
      // The read cache would answer repeated terms from memory; this scenario measures the query path itself.
      // Background health probes of every fake remote would steal CPU from it (probing has its own scenario).
      wharf = await startWharf({
        dataDir: work.dir,
        label: SCENARIO_LABEL,
        env: { WHARF_REGISTRY_CACHE: 'false', WHARF_PROBES: 'false' },
      });
      ctx.log(`Wharf ready at ${wharf.baseUrl} (pid ${wharf.pid})`);

      // Check every term once, and that results are plausible (a substring match on the name at least).
      const notes: string[] = [];
      for (const term of terms) {
        const response = await request(wharf.baseUrl + searchPath(term.term));
        if (response.status !== 200) {
          throw new Error(
            `GET ${searchPath(term.term)} answered ${response.status}: ${response.body.toString().slice(0, 300)}`,
          );
        }
        const page = parseListPage(response.body, `search "${term.term}"`);
        const got = page.servers?.length ?? 0;
        if (got < Math.min(30, term.nameMatches)) {
          notes.push(`"${term.term}" returned ${got} servers, but ${term.nameMatches} names contain it`);
        }
        if (term.cls === 'none' && got > 0) notes.push(`"${term.term}" should match nothing but returned ${got}`);
      }

      // Sequential, alternating search and baseline; bounded in count and time.
      const warmup = Math.min(50, mix.length);
      for (let i = 0; i < warmup; i++) {
        await request(wharf.baseUrl + searchPath(mix[i]!.term));
        await request(wharf.baseUrl + LIST_PATH);
      }
      const searchMs: number[] = [];
      const listMs: number[] = [];
      const perClass = new Map<TermClass, number[]>();
      let statusFailures = 0;
      const deadline = Date.now() + (ctx.quick ? 60_000 : 300_000);
      for (const term of mix) {
        if (Date.now() > deadline) {
          ctx.log(`sequential loop stopped by its time bound after ${searchMs.length} requests`);
          break;
        }
        const searched = await request(wharf.baseUrl + searchPath(term.term));
        const listed = await request(wharf.baseUrl + LIST_PATH);
        if (searched.status !== 200) statusFailures++;
        if (listed.status !== 200) statusFailures++;
        searchMs.push(searched.ms);
        listMs.push(listed.ms);
        const samples = perClass.get(term.cls) ?? [];
        samples.push(searched.ms);
        perClass.set(term.cls, samples);
      }
      wharf.assertAlive('the sequential search loop');
      const seqSearch = summarise(searchMs);
      const seqList = summarise(listMs);

      // Facets: sequential over the same mix (a few hundred requests), alternating with the list baseline.
      const facetMs: number[] = [];
      const facetListMs: number[] = [];
      const facetPerClass = new Map<TermClass, number[]>();
      for (const term of mix.slice(0, ctx.quick ? 100 : 400)) {
        const counted = await request(wharf.baseUrl + facetsPath(term.term));
        const listed = await request(wharf.baseUrl + LIST_PATH);
        if (counted.status !== 200) statusFailures++;
        facetMs.push(counted.ms);
        facetListMs.push(listed.ms);
        facetPerClass.set(term.cls, [...(facetPerClass.get(term.cls) ?? []), counted.ms]);
      }
      const seqFacets = summarise(facetMs);
      const seqFacetList = summarise(facetListMs);

      // autocannon at c=20 over the same mix (the first 200 requests of it, cycled), against the list at c=20.
      const paths = mix.slice(0, 200).map((term) => searchPath(term.term));
      const facetPaths = mix.slice(0, 200).map((term) => facetsPath(term.term));
      ctx.log(
        `autocannon c=${CONNECTIONS}: search mix, facets mix and list, ${sizes.rounds} round(s) of ${sizes.durationSec} s`,
      );
      const load = (label: string, list: string[] | undefined, url: string) => ({
        label,
        spec: {
          url: wharf!.baseUrl + url,
          ...(list ? { paths: list } : {}),
          connections: CONNECTIONS,
          durationSec: sizes.durationSec,
        },
        serverPid: wharf!.pid,
      });
      const runs = await runInterleaved([load('search', paths, paths[0]!), load('list', undefined, LIST_PATH)], {
        rounds: sizes.rounds,
        warmupSec: sizes.warmupSec,
        log: ctx.log,
      });
      // Facets last and on their own: requests still queued when a slow round ends must not land in another target's
      // round (a first run measured 0 responses in the rounds that followed a facets round).
      const facetRuns = await runInterleaved([load('facets', facetPaths, facetPaths[0]!)], {
        rounds: sizes.rounds,
        warmupSec: sizes.warmupSec,
        log: ctx.log,
      });
      for (const [label, rounds] of facetRuns) runs.set(label, rounds);
      wharf.assertAlive('the autocannon search load');
      // A round without responses has no latency: n/a (which fails a target), never 0 ms.
      const latencyOf = (run: { rps: number; latency: { p50: number; p99: number } }, which: 'p50' | 'p99') =>
        run.rps > 0 ? run.latency[which] : Number.NaN;
      const acSearch = medianRound(runs.get('search') ?? []);
      const acFacets = medianRound(runs.get('facets') ?? []);
      const acList = medianRound(runs.get('list') ?? []);
      const searchFailures = totalFailures(runs.get('search') ?? []);
      const facetFailures = totalFailures(runs.get('facets') ?? []);
      const failures = {
        non2xx: searchFailures.non2xx + facetFailures.non2xx,
        errors: searchFailures.errors + facetFailures.errors,
      };

      const rows: Row[] = [
        {
          figure: 'search p50, sequential',
          value: seqSearch.p50,
          unit: 'ms',
          baseline: { label: 'unfiltered list', value: seqList.p50 },
        },
        {
          figure: 'search p99, sequential',
          value: seqSearch.p99,
          unit: 'ms',
          baseline: { label: 'unfiltered list', value: seqList.p99 },
        },
      ];
      const classLines: string[] = [];
      for (const [cls] of CLASS_WEIGHTS) {
        const samples = perClass.get(cls);
        if (!samples?.length) continue;
        const stats = summarise(samples);
        classLines.push(`${cls} p50 ${stats.p50.toFixed(2)} / p99 ${stats.p99.toFixed(2)} ms (n=${stats.n})`);
        rows.push({
          figure: `  ${cls} terms p50, sequential`,
          value: stats.p50,
          unit: 'ms',
          baseline: { label: 'list p50', value: seqList.p50 },
        });
      }
      rows.push(
        {
          figure: `search p50, autocannon c=${CONNECTIONS}`,
          value: latencyOf(acSearch, 'p50'),
          unit: 'ms',
          baseline: { label: 'unfiltered list', value: latencyOf(acList, 'p50') },
          target: { on: 'value', op: '<=', threshold: 5 },
        },
        {
          figure: `search p99, autocannon c=${CONNECTIONS}`,
          value: latencyOf(acSearch, 'p99'),
          unit: 'ms',
          baseline: { label: 'unfiltered list', value: latencyOf(acList, 'p99') },
          target: { on: 'value', op: '<=', threshold: 20 },
        },
        {
          figure: `search throughput, autocannon c=${CONNECTIONS}`,
          value: acSearch.rps,
          unit: 'req/s',
          baseline: { label: 'unfiltered list', value: acList.rps },
        },
        {
          figure: `server CPU per search, autocannon c=${CONNECTIONS}`,
          value: acSearch.serverCpuUsPerRequest ?? Number.NaN,
          unit: 'µs',
          baseline: { label: 'unfiltered list', value: acList.serverCpuUsPerRequest ?? Number.NaN },
        },
        {
          figure: 'facets p50, sequential',
          value: seqFacets.p50,
          unit: 'ms',
          baseline: { label: 'unfiltered list', value: seqFacetList.p50 },
        },
        {
          figure: 'facets p99, sequential',
          value: seqFacets.p99,
          unit: 'ms',
          baseline: { label: 'unfiltered list', value: seqFacetList.p99 },
        },
        ...CLASS_WEIGHTS.flatMap(([cls]): Row[] => {
          const samples = facetPerClass.get(cls);
          if (!samples?.length) return [];
          return [
            {
              figure: `  ${cls} terms facets p50, sequential`,
              value: summarise(samples).p50,
              unit: 'ms',
              baseline: { label: 'list p50', value: seqFacetList.p50 },
              // Issue 4 follow-up: facets cost the same order as a search page, even on the words most names have.
              ...(cls === 'common' ? { target: { on: 'value' as const, op: '<=' as const, threshold: 20 } } : {}),
            },
          ];
        }),
        {
          figure: `facets p50 / p99, autocannon c=${CONNECTIONS}`,
          value: latencyOf(acFacets, 'p50'),
          unit: 'ms',
          baseline: { label: `p99 ${latencyOf(acFacets, 'p99')} ms; list p50`, value: latencyOf(acList, 'p50') },
        },
        {
          figure: `facets throughput, autocannon c=${CONNECTIONS}`,
          value: acFacets.rps,
          unit: 'req/s',
          baseline: { label: 'unfiltered list', value: acList.rps },
        },
        {
          figure: 'non-2xx responses + errors',
          value: statusFailures + failures.non2xx + failures.errors,
          unit: '',
          target: { on: 'value', op: '<=', threshold: 0 },
        },
      );
      return {
        scenario: 'registry-search',
        title: this.title,
        info: [
          ...environmentInfo(ctx, cpuPlan().description),
          `data set: ${dataset.servers} servers, ${dataset.documents} versions (${dataset.modelSource} model)`,
          `terms (name matches): ${terms.map((t) => `${t.cls}:"${t.term}"=${t.nameMatches}`).join(', ')}`,
          `mix: ${CLASS_WEIGHTS.map(([cls, weight]) => `${cls} ${weight} %`).join(', ')}; ` +
            `${seqSearch.n} sequential search requests alternating with ${seqList.n} list requests`,
          `sequential per class: ${classLines.join('; ')}`,
          ...notes.map((note) => `WARNING: ${note}`),
        ],
        rows,
      };
    } finally {
      await wharf?.stop();
      work.cleanup();
    }
  },
};
