import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WharfClient } from '../../src/sdk/index.js';
import type { ServerJSON } from '../../src/sdk/index.js';
import { ADMIN_TOKEN, serverJson } from '../support/app.js';
import { runWharf, startCliTarget } from '../support/process.js';
import type { CliTarget, RunResult } from '../support/process.js';

const HEADER_SECRET = 'hdr-s3cret-value-9f8e7d';
const ENV_SECRET = 'env-s3cret-value-1a2b3c';
const TENANT_SECRET = 'tenant-s3cret-4d5e6f';
const NEW_SECRET = 'rotated-s3cret-7a8b9c';
const SECRETS = [HEADER_SECRET, ENV_SECRET, TENANT_SECRET, NEW_SECRET];

/** A remote with a plain and a secret URL variable, a declared secret header and a declared plain one. */
const WEATHER = serverJson('com.acme/weather', '1.0.0', {
  remotes: [
    {
      type: 'streamable-http',
      url: 'https://{region}.weather.example.com/{tenant}/mcp',
      variables: {
        region: { description: 'region', isRequired: true, choices: ['eu', 'us'] },
        tenant: { description: 'tenant id', isRequired: true, isSecret: true },
      },
      headers: [
        { name: 'X-Api-Key', description: 'API key', isRequired: true, isSecret: true },
        { name: 'X-Team', description: 'team' },
      ],
    },
  ],
}) as ServerJSON;

describe('wharf gateway against a real Wharf process', () => {
  let target: CliTarget;
  const outputs: RunResult[] = [];
  const wharf = async (args: string[], extra: Record<string, string> = {}) => {
    const result = await runWharf(args, { ...target.env, ...extra });
    outputs.push(result);
    return result;
  };

  beforeAll(async () => {
    target = await startCliTarget('gateway', {
      WHARF_ADMIN_TOKEN: ADMIN_TOKEN,
      WHARF_SECRET_KEY: 'cli-gateway-test-secret-key-0123456789abcdef',
      WHARF_GATEWAY_CONNECT_TIMEOUT_MS: '500',
      WHARF_LOG_LEVEL: 'info',
    });
    const server = target.server;
    const admin = new WharfClient({ baseUrl: server.baseUrl, token: ADMIN_TOKEN });
    await admin.publish(WEATHER);
    await admin.publish(serverJson('com.acme/local', '1.0.0') as ServerJSON);
  }, 120_000);
  afterAll(async () => target?.close());

  it('attaches, shows, updates and detaches upstreams', { timeout: 180_000 }, async () => {
    const attach = await wharf(
      [
        'gateway',
        'upstreams',
        'attach',
        'com.acme/weather',
        '--variable',
        'region=eu',
        '--variable',
        `tenant=${TENANT_SECRET}`,
        '--header',
        `X-Api-Key=${HEADER_SECRET}`,
        '--header',
        'X-Team=platform',
        '--header-env',
        'Authorization=UPSTREAM_AUTH',
      ],
      { UPSTREAM_AUTH: `Bearer ${ENV_SECRET}` },
    );
    expect(attach.code, attach.stderr).toBe(0);
    expect(attach.stdout).toContain('✓ Attached com.acme/weather 1.0.0 as weather');
    expect(attach.stdout).toMatch(/url\s+https:\/\/\*{8}\.weather\.example\.com\/\*{8}\/mcp/);
    expect(attach.stdout).toMatch(/variables\s+region=\*{8}, tenant=\*{8}/);
    expect(attach.stdout).toMatch(/headers\s+.*X-Api-Key/);
    // Given values are not echoed, not even the plain ones.
    expect(attach.stdout).not.toContain('platform');

    const [list, json, show, duplicate] = await Promise.all([
      wharf(['gateway', 'upstreams', 'list']),
      wharf(['gateway', 'upstreams', 'list', '--json']),
      wharf(['gateway', 'upstreams', 'show', 'weather', '--json']),
      wharf([
        'gateway',
        'upstreams',
        'attach',
        'com.acme/weather',
        '--variable',
        'region=us',
        '--variable',
        `tenant=${TENANT_SECRET}`,
        '--header',
        `X-Api-Key=${HEADER_SECRET}`,
      ]),
    ]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^ALIAS\s+SERVER\s+VERSION\s+TRANSPORT\s+STATE\s+TOOLS\s+URL/);
    // The server masks the secret variable; the plain one is part of the URL it stores in the clear.
    expect(list.stdout).toMatch(/weather\s+com\.acme\/weather\s+1\.0\.0\s+streamable-http\s+\S+\s+0\s+https:\/\/eu\./);
    const listed = JSON.parse(json.stdout);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      alias: 'weather',
      variables: { region: 'eu', tenant: '********' },
      headers: { 'X-Api-Key': '********', 'X-Team': '********', Authorization: '********' },
      status: { breaker: 'closed', toolCount: 0 },
    });
    expect(JSON.parse(show.stdout).url).toBe('https://eu.weather.example.com/********/mcp');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('409 Conflict: An upstream with alias "weather" already exists');

    const [updated, nothing, unknown] = await Promise.all([
      wharf(['gateway', 'upstreams', 'update', 'weather', '--header', `X-Api-Key=${NEW_SECRET}`, '--json']),
      wharf(['gateway', 'upstreams', 'update', 'weather']),
      wharf(['gateway', 'upstreams', 'update', 'nosuch', '--version', '1.0.0']),
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({
      alias: 'weather',
      headers: { 'X-Api-Key': '********', Authorization: '********' },
    });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('nothing to change');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('404 Not Found: No upstream with alias "nosuch"');

    const detached = await wharf(['gateway', 'upstreams', 'detach', 'weather']);
    expect(detached.code, detached.stderr).toBe(0);
    expect(detached.stdout).toContain('✓ Detached weather');
    const [empty, again] = await Promise.all([
      wharf(['gateway', 'upstreams', 'list', '--json']),
      wharf(['gateway', 'upstreams', 'detach', 'weather']),
    ]);
    expect(JSON.parse(empty.stdout)).toEqual([]);
    expect(again.code).toBe(3);
  });

  it('never prints values given on the command line, even in errors', { timeout: 180_000 }, async () => {
    const [noName, missingEnv, badChoice, localOnly] = await Promise.all([
      // A header given as a bare value (the name forgotten) is refused without repeating it.
      wharf(['gateway', 'upstreams', 'attach', 'com.acme/weather', '--header', `Bearer ${HEADER_SECRET}`]),
      wharf(['gateway', 'upstreams', 'attach', 'com.acme/weather', '--header-env', 'Authorization=NOT_SET_ANYWHERE']),
      wharf([
        'gateway',
        'upstreams',
        'attach',
        'com.acme/weather',
        '--alias',
        'w2',
        '--variable',
        `region=${TENANT_SECRET}`,
        '--variable',
        `tenant=${TENANT_SECRET}`,
        '--header',
        `X-Api-Key=${HEADER_SECRET}`,
      ]),
      wharf(['gateway', 'upstreams', 'attach', 'com.acme/local', '--header', `X-Api-Key=${HEADER_SECRET}`]),
    ]);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('--header must be given as name=value (the argument given is not shown)');
    expect(missingEnv.code).toBe(2);
    expect(missingEnv.stderr).toContain('the environment variable NOT_SET_ANYWHERE is not set');
    expect(badChoice.code).toBe(1);
    expect(badChoice.stderr).toContain('body.variables.region: URL variable "region" must be one of eu, us');
    expect(localOnly.code).toBe(1);
    expect(localOnly.stderr).toContain('has no remotes: only remote servers can be upstreams');

    // Nothing any gateway command printed, in this test or the previous one, nor the server's log, holds a value.
    const everything = [...outputs.map((r) => r.stdout + r.stderr), target.server.output()].join('\n');
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });

  it('creates, lists, shows, updates and deletes virtual servers', { timeout: 180_000 }, async () => {
    const created = await wharf([
      'gateway',
      'virtual',
      'create',
      'forecasts',
      '--tool',
      'weather__forecast',
      '--tool',
      'weather__alerts',
      '--description',
      'Forecast tools only',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('✓ Created virtual server forecasts');
    expect(created.stdout).toMatch(/path\s+\/mcp\/forecasts/);

    const [list, show, duplicate, badTool, noTool, forbidden] = await Promise.all([
      wharf(['gateway', 'virtual', 'list']),
      wharf(['gateway', 'virtual', 'show', 'forecasts', '--json']),
      wharf(['gateway', 'virtual', 'create', 'forecasts', '--tool', 'weather__forecast']),
      wharf(['gateway', 'virtual', 'create', 'broken', '--tool', 'not a tool']),
      wharf(['gateway', 'virtual', 'create', 'empty']),
      wharf(['gateway', 'virtual', 'list'], { WHARF_TOKEN: 'wharf_aaaaaaaaaaaa_nope' }),
    ]);
    expect(list.stdout).toMatch(/^NAME\s+PATH\s+TOOLS\s+DESCRIPTION/);
    expect(list.stdout).toMatch(
      /forecasts\s+\/mcp\/forecasts\s+weather__forecast, weather__alerts\s+Forecast tools only/,
    );
    expect(JSON.parse(show.stdout)).toMatchObject({
      name: 'forecasts',
      description: 'Forecast tools only',
      tools: ['weather__forecast', 'weather__alerts'],
      path: '/mcp/forecasts',
    });
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('409 Conflict: A virtual server named "forecasts" already exists');
    expect(badTool.code).toBe(1);
    expect(badTool.stderr).toContain('422 Unprocessable Entity: Invalid tool selection');
    expect(badTool.stderr).toContain('body.tools: give a downstream tool name');
    expect(noTool.code).toBe(2);
    expect(forbidden.code).toBe(4);

    const updated = await wharf(['gateway', 'virtual', 'update', 'forecasts', '--tool', 'weather__*', '--json']);
    expect(JSON.parse(updated.stdout)).toMatchObject({ tools: ['weather__*'], description: 'Forecast tools only' });
    const deleted = await wharf(['gateway', 'virtual', 'delete', 'forecasts']);
    expect(deleted.code, deleted.stderr).toBe(0);
    const [empty, missing] = await Promise.all([
      wharf(['gateway', 'virtual', 'list', '--json']),
      wharf(['gateway', 'virtual', 'delete', 'forecasts']),
    ]);
    expect(JSON.parse(empty.stdout)).toEqual([]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('No virtual server named "forecasts"');
  });
});
