import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminHeaders } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { connect, publish } from '../mcp/support.js';
import type { Era } from '../mcp/support.js';
import { createGatewayTestApp, startSdkUpstream } from './support.js';
import type { ToyUpstream } from './support.js';

const API_KEY = 'upstream-api-key-s3cr3t-value';

/** The published remote is a public https URL; the gateway is pointed at the loopback upstream behind it. */
function gatewayFor(upstream: ToyUpstream, env: Record<string, string> = {}): Promise<TestApp> {
  return createGatewayTestApp(() => [`${upstream.url}/mcp`], env);
}

async function attachToy(t: TestApp): Promise<void> {
  await publish(t, 'io.github.acme/toy', '1.0.0', {
    remotes: [{ type: 'streamable-http', url: 'https://toy.example.com/mcp' }],
  });
  const attached = await t.app.inject({
    method: 'POST',
    url: '/api/v1/gateway/upstreams',
    headers: adminHeaders,
    payload: { server: 'io.github.acme/toy', headers: { 'X-Api-Key': API_KEY } },
  });
  expect(attached.statusCode, attached.body).toBe(201);
}

describe('gateway protocol relay: templates, progress, cancellation', () => {
  let t: TestApp;
  let url: string;
  let toy: ToyUpstream;

  beforeAll(async () => {
    toy = await startSdkUpstream({ apiKey: API_KEY, protocolExtras: true });
    t = await gatewayFor(toy);
    url = `${await t.app.listen({ host: '127.0.0.1', port: 0 })}/mcp`;
    await attachToy(t);
  });
  afterAll(async () => {
    await t?.close();
    await toy?.close();
  });

  describe.each<Era>(['modern', 'legacy'])('with a %s client', (era) => {
    let client: Client;
    beforeAll(async () => {
      client = await connect(url, era, adminHeaders);
    });
    afterAll(async () => client?.close());

    it('federates resource templates under <alias>+<template> and routes reads of matching URIs', async () => {
      const { resourceTemplates } = await client.listResourceTemplates();
      expect(resourceTemplates.filter((template) => template.uriTemplate.startsWith('toy+'))).toEqual([
        expect.objectContaining({
          name: 'toy__item',
          uriTemplate: 'toy+toy://items/{id}',
          description: 'One item by id',
          mimeType: 'text/plain',
        }),
      ]);
      const read = await client.readResource({ uri: 'toy+toy://items/42' });
      expect(read.contents).toEqual([{ uri: 'toy+toy://items/42', mimeType: 'text/plain', text: 'item 42' }]);
    });

    it('relays the upstream’s progress notifications to the client’s progress token', async () => {
      const updates: { progress: number; total?: number; message?: string }[] = [];
      const result = await client.callTool(
        { name: 'toy__slow', arguments: { steps: 3, waitMs: 0 } },
        { onprogress: (update) => updates.push(update) },
      );
      expect(result.content).toEqual([{ type: 'text', text: 'done' }]);
      expect(updates).toEqual([
        { progress: 1, total: 3, message: 'step 1' },
        { progress: 2, total: 3, message: 'step 2' },
        { progress: 3, total: 3, message: 'step 3' },
      ]);
    });

    it('cancels the upstream call when the client cancels', async () => {
      const before = toy.slowCalls.length;
      const controller = new AbortController();
      const pending = client.callTool(
        { name: 'toy__slow', arguments: { steps: 0, waitMs: 30_000 } },
        { signal: controller.signal },
      );
      await vi.waitFor(() => expect(toy.slowCalls.length).toBe(before + 1), { timeout: 5000, interval: 20 });
      controller.abort();
      await expect(pending).rejects.toThrow();
      await vi.waitFor(() => expect(toy.slowCalls[before]?.cancelled).toBe(true), { timeout: 5000, interval: 20 });
    });
  });
});

describe('gateway passthrough aliases (WHARF_GATEWAY_PASSTHROUGH_ALIASES)', () => {
  let t: TestApp;
  let toy: ToyUpstream;
  let client: Client;

  beforeAll(async () => {
    toy = await startSdkUpstream({ apiKey: API_KEY, protocolExtras: true });
    t = await gatewayFor(toy, { WHARF_GATEWAY_PASSTHROUGH_ALIASES: 'toy' });
    const url = `${await t.app.listen({ host: '127.0.0.1', port: 0 })}/mcp`;
    await attachToy(t);
    client = await connect(url, 'modern', adminHeaders);
  });
  afterAll(async () => {
    await client?.close();
    await t?.close();
    await toy?.close();
  });

  it('serves the upstream’s tools, prompts and resource URIs unprefixed, and routes them', async () => {
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'add', 'slow', 'search_servers']));
    expect(names.some((name) => name.startsWith('toy__'))).toBe(false);
    expect((await client.callTool({ name: 'echo', arguments: { text: 'x' } })).content).toEqual([
      { type: 'text', text: 'echo: x' },
    ]);
    expect((await client.listPrompts()).prompts.map((prompt) => prompt.name)).toContain('greet');
    expect((await client.listResources()).resources.map((resource) => resource.uri)).toContain('toy://greeting');
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((template) => template.uriTemplate);
    expect(templates).toContain('toy://items/{id}');
    const read = await client.readResource({ uri: 'toy://items/7' });
    expect(read.contents).toEqual([{ uri: 'toy://items/7', mimeType: 'text/plain', text: 'item 7' }]);
  });
});
