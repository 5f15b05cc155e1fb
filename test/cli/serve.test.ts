import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, serverJson } from '../support/app.js';
import { runWharf, startServer } from '../support/process.js';
import type { RunningServer } from '../support/process.js';

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
});

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-cli-'));
const env = { WHARF_ADMIN_TOKEN: ADMIN_TOKEN };

async function publish(baseUrl: string, name: string, version = '1.0.0') {
  return fetch(`${baseUrl}/v0/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(serverJson(name, version)),
  });
}

describe('wharf serve', () => {
  it('prints where it listens and which database it uses, and is healthy and ready', async () => {
    const dataDir = tempDir();
    const server = await startServer(['--data-dir', dataDir], env);
    servers.push(server);
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.output()).toContain(`database: SQLite ${path.join(dataDir, 'wharf.db')}`);
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    expect((await fetch(`${server.baseUrl}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toContain('wharf_http_requests_total{method="GET",route="/ready",status="200"} 1');
    expect(metrics).toContain('wharf_process_resident_memory_bytes');
  });

  it('refuses a bad setting with a message naming it', async () => {
    const result = await runWharf(['serve', '--port', 'http'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--port / WHARF_PORT = "http": must be a number');
  });

  it('keeps every acknowledged publish across kill -9', async () => {
    const dataDir = tempDir();
    const first = await startServer(['--data-dir', dataDir], env);
    servers.push(first);
    const names = Array.from({ length: 40 }, (_, i) => `com.example/durable-${i}`);
    for (const name of names) expect((await publish(first.baseUrl, name)).status).toBe(200);
    await first.stop('SIGKILL');

    const second = await startServer(['--data-dir', dataDir], env);
    servers.push(second);
    const list = (await (await fetch(`${second.baseUrl}/v0.1/servers?search=durable&limit=100`)).json()) as {
      servers: { server: { name: string } }[];
    };
    expect(list.servers.map((s: { server: { name: string } }) => s.server.name).sort()).toEqual([...names].sort());
  });

  it('finishes an in-flight request on SIGTERM before exiting', async () => {
    const server = await startServer(['--data-dir', tempDir()], env);
    servers.push(server);
    const { port } = new URL(server.baseUrl);
    const body = JSON.stringify(serverJson('com.example/in-flight'));
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let response = '';
    socket.on('data', (d) => (response += d.toString()));
    const head =
      `POST /v0/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    socket.write(head + body.slice(0, 20));
    await new Promise((r) => setTimeout(r, 200));
    const exited = server.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    socket.write(body.slice(20));
    await new Promise((r) => socket.once('close', r));
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    expect(await exited).toBe(0);
  });
});
