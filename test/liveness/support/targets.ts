import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { z } from 'zod';

export interface Target {
  url: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

const require = createRequire(import.meta.url);

/** `@modelcontextprotocol/server-everything` (SDK v1, legacy era) as a child process, in `streamableHttp` or `sse` mode. */
export async function startEverything(mode: 'streamableHttp' | 'sse'): Promise<Target> {
  const port = await freePort();
  const entry = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
  const child: ChildProcess = spawn(process.execPath, [entry, mode], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server-everything did not start:\n${output}`)), 20_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (/listening on port|running on port/i.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server-everything exited with ${code}:\n${output}`));
    });
  });
  const path = mode === 'sse' ? '/sse' : '/mcp';
  return {
    url: `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** A modern-era (2026-07-28) server built with the SDK v2 `createMcpHandler`, served over node:http. */
export async function startModernServer(): Promise<Target> {
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: 'modern-fixture', version: '3.1.4' });
    server.registerTool('echo', { description: 'Echoes', inputSchema: z.object({ text: z.string() }) }, ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
    server.registerTool(
      'add',
      { description: 'Adds', inputSchema: z.object({ a: z.number(), b: z.number() }) },
      ({ a, b }) => ({
        content: [{ type: 'text', text: String(a + b) }],
      }),
    );
    return server;
  });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
        const body = chunks.length > 0 && req.method !== 'GET' ? Buffer.concat(chunks) : undefined;
        const response = await handler.fetch(
          new Request(`http://127.0.0.1${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, body }),
        );
        res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
        res.end(Buffer.from(await response.arrayBuffer()));
      })();
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/mcp`, close: () => closeServer(server) };
}

/** Accepts connections and requests, and never answers. */
export async function startHangingServer(): Promise<Target> {
  const server = http.createServer(() => {});
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/mcp`, close: () => closeServer(server) };
}

/** A web page where an MCP endpoint should be (what #1487 found for about one remote in nine). */
export async function startHtmlServer(): Promise<Target> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><body><h1>Welcome</h1></body></html>');
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/mcp`, close: () => closeServer(server) };
}

/** Accepts the TCP connection and closes it as soon as the request arrives. */
export async function startClosingServer(): Promise<Target> {
  const server = net.createServer((socket) => {
    socket.once('data', () => socket.destroy());
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
