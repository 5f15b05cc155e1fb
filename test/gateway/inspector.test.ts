import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, adminHeaders } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { publish } from '../mcp/support.js';
import { createGatewayTestApp, startSdkUpstream } from './support.js';
import type { ToyUpstream } from './support.js';

/** The official MCP Inspector CLI (pinned in devDependencies) listing and calling a federated tool through /mcp. */
const require = createRequire(import.meta.url);
const inspectorDir = path.dirname(require.resolve('@modelcontextprotocol/inspector/package.json'));
const inspectorBin = path.join(
  inspectorDir,
  (JSON.parse(fs.readFileSync(path.join(inspectorDir, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin
    .inspector as string,
);

let toy: ToyUpstream;
let t: TestApp;
let url: string;
let home: string;

beforeAll(async () => {
  toy = await startSdkUpstream();
  t = await createGatewayTestApp(() => [`${toy.url}/mcp`]);
  url = `${await t.app.listen({ host: '127.0.0.1', port: 0 })}/mcp`;
  await publish(t, 'io.github.acme/toy', '1.0.0', {
    remotes: [{ type: 'streamable-http', url: 'https://toy.example.com/mcp' }],
  });
  const attached = await t.app.inject({
    method: 'POST',
    url: '/api/v1/gateway/upstreams',
    headers: adminHeaders,
    payload: { server: 'io.github.acme/toy' },
  });
  expect(attached.statusCode, attached.body).toBe(201);
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-gateway-inspector-'));
});
afterAll(async () => {
  await t?.close();
  await toy?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

function inspect(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [inspectorBin, '--cli', ...args, '--format', 'json'],
      { env: { ...process.env, HOME: home, MCP_INSPECTOR_SECRET_STORE: 'memory' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('MCP Inspector CLI through the gateway', () => {
  it('lists and calls a federated tool at /mcp in both eras', async () => {
    const config = path.join(home, 'servers.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        mcpServers: { gw: { type: 'http', url, protocolEra: 'modern', headers: adminHeaders } },
      }),
    );
    // The gateway only shows federated tools to callers its access rules admit (here: the admin).
    const auth = ['--header', `Authorization: Bearer ${ADMIN_TOKEN}`];
    const call = ['--method', 'tools/call', '--tool-name', 'toy__echo', '--tool-arg', 'text=inspected'];
    const [list, legacy, modern] = await Promise.all([
      inspect([url, '--transport', 'http', ...auth, '--method', 'tools/list']),
      inspect([url, '--transport', 'http', ...auth, ...call]),
      inspect(['--config', config, '--server', 'gw', ...call]),
    ]);

    expect(list.code, list.stderr).toBe(0);
    const tools = (JSON.parse(list.stdout) as { result: { tools: { name: string }[] } }).result.tools;
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['toy__echo', 'toy__add']));

    for (const run of [legacy, modern]) {
      expect(run.code, run.stderr).toBe(0);
      const result = (JSON.parse(run.stdout) as { result: { content: unknown[] } }).result;
      expect(result.content).toEqual([{ type: 'text', text: 'echo: inspected' }]);
    }
  });
});
