/**
 * mcp-registry: `tools/call search_servers` over `/mcp` (2026-07-28 stateless requests: one POST each, no session)
 * against the equivalent REST request, `GET /v0.1/servers?search=<term>&version=latest&limit=30`, at 20 connections
 * on the same Wharf in the same run (interleaved rounds).
 *
 * Both sides cycle through the same search terms (registry-search's mix without its "common" class). The read cache is off, so both run the same registry query and
 * the ratio isolates what MCP costs on top: JSON-RPC framing, header validation, a per-request McpServer, argument
 * and output validation, and a parsed (not spliced) result with a text copy.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuPlan } from '../lib/cpu.js';
import { copyDataDir, ensureDataset } from '../lib/dataset.js';
import { request } from '../lib/http.js';
import { medianRound, runInterleaved, saturationNote, totalFailures } from '../lib/load.js';
import { MCP_HEADERS, mcpSearchBody, type McpSearchParams } from '../lib/mcp-requests.js';
import { optionalNote, type Row } from '../lib/report.js';
import { environmentInfo, type Scenario } from '../lib/scenario.js';
import { startWharf, type WharfProcess } from '../lib/wharf.js';
import { pickTerms, searchPath } from './registry-search.js';

const CONNECTIONS = 20;
const LIMIT = 30;
const SCENARIO_LABEL = 'mcp-registry';
const GENERATOR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'mcp-requests.ts');

interface ToolResult {
  result?: { resultType?: string; structuredContent?: { servers: { server: { name: string } }[] } };
  error?: unknown;
}

export const mcpRegistry: Scenario = {
  name: 'mcp-registry',
  title: 'tools/call search_servers over /mcp vs REST search (c=20)',
  async run(ctx) {
    const { sizes } = ctx;
    const dataset = await ensureDataset(sizes.servers, { rebuild: ctx.rebuildData, log: ctx.log });
    // Terms nearly every name contains ("mcp", "server") cost the query itself some 100 ms without the cache, which
    // would drown what this scenario measures: the MCP layer. The medium, rare and no-match terms remain.
    const terms = pickTerms(dataset.names)
      .filter((term) => term.cls !== 'common')
      .map((term) => term.term);
    const work = copyDataDir(dataset, SCENARIO_LABEL);
    let wharf: WharfProcess | undefined;
    try {
      wharf = await startWharf({ dataDir: work.dir, label: SCENARIO_LABEL, env: { WHARF_REGISTRY_CACHE: 'false' } });
      ctx.log(`Wharf ready at ${wharf.baseUrl} (pid ${wharf.pid})`);

      // Both sides must find the same servers for every term before their speed is compared.
      for (const term of terms) {
        const rest = await request(wharf.baseUrl + searchPath(term));
        const mcp = await request(`${wharf.baseUrl}/mcp`, {
          method: 'POST',
          headers: MCP_HEADERS,
          body: mcpSearchBody(term, LIMIT),
        });
        if (rest.status !== 200 || mcp.status !== 200) {
          throw new Error(`"${term}": REST ${rest.status}, MCP ${mcp.status}: ${mcp.body.toString().slice(0, 300)}`);
        }
        const restNames = (JSON.parse(rest.body.toString()) as { servers: { server: { name: string } }[] }).servers.map(
          (s) => s.server.name,
        );
        const reply = JSON.parse(mcp.body.toString()) as ToolResult;
        const mcpNames = reply.result?.structuredContent?.servers.map((s) => s.server.name);
        if (reply.result?.resultType !== 'complete' || JSON.stringify(mcpNames) !== JSON.stringify(restNames)) {
          throw new Error(`"${term}": MCP and REST disagree: ${mcp.body.toString().slice(0, 300)}`);
        }
      }

      const params: McpSearchParams = { path: '/mcp', terms, limit: LIMIT };
      ctx.log(`autocannon c=${CONNECTIONS}: MCP vs REST, ${sizes.rounds} round(s) of ${sizes.durationSec} s`);
      const runs = await runInterleaved(
        [
          {
            label: 'mcp',
            spec: {
              url: `${wharf.baseUrl}/mcp`,
              connections: CONNECTIONS,
              durationSec: sizes.durationSec,
              method: 'POST',
              generator: { module: GENERATOR, exportName: 'mcpSearchRequests', params },
            },
            serverPid: wharf.pid,
          },
          {
            label: 'rest',
            spec: {
              url: wharf.baseUrl + searchPath(terms[0] ?? 'mcp'),
              paths: terms.map(searchPath),
              connections: CONNECTIONS,
              durationSec: sizes.durationSec,
            },
            serverPid: wharf.pid,
          },
        ],
        { rounds: sizes.rounds, warmupSec: sizes.warmupSec, log: ctx.log },
      );
      wharf.assertAlive('the MCP and REST load');
      const mcp = medianRound(runs.get('mcp') ?? []);
      const rest = medianRound(runs.get('rest') ?? []);
      const failures = totalFailures([...(runs.get('mcp') ?? []), ...(runs.get('rest') ?? [])]);

      const rows: Row[] = [
        {
          figure: `throughput, c=${CONNECTIONS}`,
          value: mcp.rps,
          unit: 'req/s',
          baseline: { label: 'REST search', value: rest.rps },
          ...optionalNote(saturationNote('MCP', mcp) ?? saturationNote('REST', rest)),
        },
        {
          figure: 'latency p50',
          value: mcp.latency.p50,
          unit: 'ms',
          baseline: { label: 'REST search', value: rest.latency.p50 },
        },
        {
          figure: 'latency p99',
          value: mcp.latency.p99,
          unit: 'ms',
          baseline: { label: 'REST search', value: rest.latency.p99 },
        },
        {
          figure: 'server CPU per request',
          value: mcp.serverCpuUsPerRequest ?? Number.NaN,
          unit: 'µs',
          baseline: { label: 'REST search', value: rest.serverCpuUsPerRequest ?? Number.NaN },
        },
        {
          figure: 'non-2xx responses + errors',
          value: failures.non2xx + failures.errors,
          unit: '',
          target: { on: 'value', op: '<=', threshold: 0 },
        },
      ];
      return {
        scenario: SCENARIO_LABEL,
        title: this.title,
        info: [
          ...environmentInfo(ctx, cpuPlan().description),
          `data set: ${dataset.servers} servers, ${dataset.documents} versions (${dataset.modelSource} model)`,
          `terms (cycled by both sides): ${terms.map((term) => `"${term}"`).join(', ')}`,
          'MCP: POST /mcp, 2026-07-28 stateless tools/call search_servers {query, limit: 30} (latest versions)',
          `REST: GET ${searchPath('<term>')}; read cache off on both sides (same query work)`,
        ],
        rows,
      };
    } finally {
      await wharf?.stop();
      work.cleanup();
    }
  },
};
