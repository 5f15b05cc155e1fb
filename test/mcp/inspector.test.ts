import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_TOOLS, publish, startMcpServer } from './support.js';
import type { McpTestServer } from './support.js';

/**
 * The official MCP Inspector's CLI (`@modelcontextprotocol/inspector`, pinned in devDependencies) against a real
 * listening Wharf. Its package declares Node ≥ 22.19, but the CLI mode runs on Node 20. Each invocation is a
 * process start (about a second), so the runs happen at once.
 */
const require = createRequire(import.meta.url);
const inspectorDir = path.dirname(require.resolve('@modelcontextprotocol/inspector/package.json'));
const inspectorBin = path.join(
  inspectorDir,
  (JSON.parse(fs.readFileSync(path.join(inspectorDir, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin
    .inspector as string,
);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let t: McpTestServer;
let home: string;
beforeAll(async () => {
  t = await startMcpServer();
  await publish(t, 'io.github.acme/weather', '1.2.0');
  await publish(t, 'com.example/notes', '1.0.0');
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-inspector-'));
});
afterAll(async () => {
  await t?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

function inspect(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [inspectorBin, '--cli', ...args, '--format', 'json'],
      // A private HOME keeps the Inspector's catalog file out of the user's; secrets stay in memory.
      { env: { ...process.env, HOME: home, MCP_INSPECTOR_SECRET_STORE: 'memory' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('MCP Inspector CLI', () => {
  it('lists and calls the registry tools in both eras', async () => {
    const config = path.join(home, 'servers.json');
    fs.writeFileSync(
      config,
      JSON.stringify({ mcpServers: { wharf: { type: 'http', url: t.url, protocolEra: 'modern' } } }),
    );
    const [list, call, modern] = await Promise.all([
      inspect([t.url, '--transport', 'http', '--method', 'tools/list']),
      inspect([
        t.url,
        '--transport',
        'http',
        '--method',
        'tools/call',
        '--tool-name',
        'search_servers',
        '--tool-arg',
        'query=weather',
      ]),
      inspect([
        '--config',
        config,
        '--server',
        'wharf',
        '--method',
        'tools/call',
        '--tool-name',
        'get_server',
        '--tool-arg',
        'name=com.example/notes',
      ]),
    ]);

    expect(list.code, list.stderr).toBe(0);
    const tools = (JSON.parse(list.stdout) as { result: { tools: { name: string }[] } }).result.tools;
    expect(tools.map((tool) => tool.name)).toEqual(['search_servers', 'get_server', 'list_versions', ...CONTEXT_TOOLS]);

    expect(call.code, call.stderr).toBe(0);
    const found = JSON.parse(call.stdout) as {
      result: { structuredContent: { servers: { server: { name: string } }[] } };
    };
    expect(found.result.structuredContent.servers.map((s) => s.server.name)).toEqual(['io.github.acme/weather']);

    // The modern era (2026-07-28), through the Inspector's config file: serverInfo rides in the result's _meta.
    expect(modern.code, modern.stderr).toBe(0);
    const got = JSON.parse(modern.stdout) as {
      result: { structuredContent: { server: { name: string } }; _meta: object };
    };
    expect(got.result.structuredContent.server.name).toBe('com.example/notes');
    expect(got.result._meta).toHaveProperty(['io.modelcontextprotocol/serverInfo']);
  });
});
