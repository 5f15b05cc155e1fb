import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keepInstanceRegistered } from '../../src/sdk/registration.js';
import type { RegistrationEvent } from '../../src/sdk/registration.js';
import { ADMIN_TOKEN, adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { spawnWharf, startServer } from '../support/process.js';
import type { RunningServer } from '../support/process.js';

const SERVER = 'com.example/heartbeat';

describe('SDK keepInstanceRegistered', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await createTestApp({ env: { WHARF_INSTANCE_TTL_SECONDS: '3', WHARF_PROBES: 'false' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
    await t.app.inject({ method: 'POST', url: '/v0/publish', payload: serverJson(SERVER), headers: adminHeaders });
  });
  afterAll(async () => t?.close());

  const state = async (id: string) => (await t.app.inject({ url: `/api/v1/instances/${id}` })).json().state as string;

  it('retries with backoff while the registry is unreachable, then registers and heartbeats', async () => {
    let calls = 0;
    const events: RegistrationEvent[] = [];
    const flaky: typeof fetch = async (input, init) => {
      calls += 1;
      if (calls <= 2) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      return fetch(input, init);
    };
    const registration = keepInstanceRegistered({
      registry: base,
      token: ADMIN_TOKEN,
      server: SERVER,
      url: 'https://sdk.example/mcp',
      metadata: { region: 'test' },
      fetch: flaky,
      minBackoffMs: 20,
      onEvent: (e) => events.push(e),
    });
    const id = await registration.ready;
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
    expect(events.find((e) => e.type === 'retry')).toMatchObject({
      step: 'register',
      error: 'fetch failed (ECONNREFUSED)',
    });
    await vi.waitFor(() => expect(events.some((e) => e.type === 'heartbeat')).toBe(true), { timeout: 3000 });
    expect(await state(id)).toBe('passing');
    await registration.stop();
    expect(events.at(-1)).toEqual({ type: 'deregistered', id });
    expect((await t.app.inject({ url: `/api/v1/instances/${id}` })).statusCode).toBe(404);
  });

  it('registers again after the registry forgot the instance', async () => {
    const events: RegistrationEvent[] = [];
    const registration = keepInstanceRegistered({
      registry: base,
      token: ADMIN_TOKEN,
      server: SERVER,
      url: 'https://sdk2.example/mcp',
      onEvent: (e) => events.push(e),
    });
    const first = await registration.ready;
    // As if it had expired and been deregistered while this process was paused.
    await t.app.inject({ method: 'DELETE', url: `/api/v1/instances/${first}`, headers: adminHeaders });
    await vi.waitFor(() => expect(registration.id).toBeDefined(), { timeout: 100 });
    await vi.waitFor(() => expect(registration.id && registration.id !== first).toBe(true), { timeout: 3000 });
    expect(events.map((e) => e.type)).toContain('expired');
    expect(await state(registration.id!)).toBe('passing');
    await registration.stop();
  });

  it('gives up on a refusal that retrying cannot fix', async () => {
    const registration = keepInstanceRegistered({
      registry: base,
      token: ADMIN_TOKEN,
      server: 'com.example/unknown',
      url: 'https://x.example/mcp',
    });
    await expect(registration.ready).rejects.toThrow(
      /registration refused: HTTP 404: Server com.example\/unknown is not in the registry/,
    );
    await expect(registration.done).rejects.toThrow();
  });
});

describe('wharf register against wharf serve', () => {
  let server: RunningServer;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-live-'));
    server = await startServer(['--data-dir', dataDir], {
      WHARF_ADMIN_TOKEN: ADMIN_TOKEN,
      WHARF_INSTANCE_TTL_SECONDS: '2',
      WHARF_DEREGISTER_AFTER_SECONDS: '1',
      WHARF_PROBES: 'false',
    });
    const res = await fetch(`${server.baseUrl}/v0/publish`, {
      method: 'POST',
      headers: { ...adminHeaders, 'content-type': 'application/json' },
      body: JSON.stringify(serverJson(SERVER)),
    });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const startRegister = async (url: string) => {
    const child = spawnWharf(
      ['register', '--server', SERVER, '--url', url, '--registry', server.baseUrl, '--region', 'eu'],
      {
        WHARF_TOKEN: ADMIN_TOKEN,
      },
    );
    let out = '';
    const id = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`wharf register printed nothing useful:\n${out}`)), 20_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        const match = /registered instance (\S+)/.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', (code) => reject(new Error(`wharf register exited with ${code}:\n${out}`)));
    });
    return { child, id, output: () => out };
  };
  const instance = (id: string) => fetch(`${server.baseUrl}/api/v1/instances/${id}`);
  const stateOf = async (id: string) => ((await (await instance(id)).json()) as { state?: string }).state;

  it('sees an instance whose heartbeat loop was killed go critical then disappear, and deregisters one stopped with SIGTERM at once', async () => {
    // Both children at once: starting the CLI is the slow part.
    const [killed, graceful] = await Promise.all([
      startRegister('https://killed.example/mcp'),
      startRegister('https://graceful.example/mcp'),
    ]);
    expect(await (await instance(killed.id)).json()).toMatchObject({ state: 'passing', metadata: { region: 'eu' } });

    const exited = new Promise<number | null>((resolve) => graceful.child.once('exit', (code) => resolve(code)));
    graceful.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(graceful.output()).toMatch(/deregistered instance/);
    expect((await instance(graceful.id)).status).toBe(404);

    killed.child.kill('SIGKILL');
    await vi.waitFor(async () => expect(await stateOf(killed.id)).toBe('critical'), {
      timeout: 6000,
      interval: 200,
    });
    await vi.waitFor(async () => expect((await instance(killed.id)).status).toBe(404), {
      timeout: 6000,
      interval: 200,
    });
  });
});
