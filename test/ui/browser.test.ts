import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uiDirectory } from '../../src/ui/routes.js';
import { ADMIN_TOKEN, adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { startSdkUpstream } from '../gateway/support.js';
import type { ToyUpstream } from '../gateway/support.js';

/**
 * The web UI in Debian's Chromium, driven by playwright-core. Screenshots land in
 * test-artifacts/ui so a reviewer can look at what the tests saw.
 */
const CHROMIUM = process.env.WHARF_TEST_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
const built = fs.existsSync(path.join(uiDirectory(), 'index.html'));
const reason = !hasChromium
  ? ` (SKIPPED: ${CHROMIUM} not found; apt-get install chromium)`
  : !built
    ? ' (SKIPPED: UI not built; run npm run build)'
    : '';
const ARTIFACTS = path.resolve('test-artifacts/ui');
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The page's globals as the tests read them (the test build has no DOM typings). */
type PageGlobals = {
  axe: { run(): Promise<{ violations: { id: string; impact: string }[] }> };
  __xss?: number;
  navigator: { clipboard: { readText(): Promise<string> } };
  document: { documentElement: { dataset: Record<string, string | undefined> } };
};

const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
const UPSTREAM_KEY = 'toy-upstream-key-never-shown-9f3a';
/** The published remote's host; the gateway's endpoints hook sends it to the local MCP server instead. */
const TOY_HOST = 'https://toy.example.com';

describe.skipIf(Boolean(reason))(`web UI in Chromium${reason}`, () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let dialogs: string[];
  let toy: ToyUpstream;

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // A real SDK v2 MCP server on loopback that the gateway flow attaches; it wants its API key header.
    toy = await startSdkUpstream({ apiKey: UPSTREAM_KEY });
    // No probes: the published remotes are fictitious, and the dashboard test counts servers never probed.
    t = await createTestApp({
      env: {
        WHARF_PROBES: 'false',
        WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
        WHARF_SECRET_KEY: 'ui-browser-test-secret-key-0123456789abcdef',
      },
      overrides: {
        gatewayEndpoints: ({ url }) => [url.startsWith(TOY_HOST) ? toy.url + url.slice(TOY_HOST.length) : url],
      },
    });
    const publish = (body: object) =>
      t.app.inject({ method: 'POST', url: '/v0.1/publish', headers: adminHeaders, payload: body });
    await publish(
      serverJson('com.example/weather', '1.0.0', {
        title: 'Weather Forecasts',
        description: 'Forecasts and alerts for any city',
        remotes: [
          {
            type: 'streamable-http',
            url: 'https://{region}.weather.example.com/mcp',
            variables: { region: { description: 'Data region', default: 'eu' } },
            headers: [{ name: 'X-API-Key', description: 'Your API key', isRequired: true, isSecret: true }],
          },
        ],
      }),
    );
    await publish(
      serverJson('com.example/weather', '1.1.0', {
        title: 'Weather Forecasts',
        description: 'Forecasts and alerts for any city',
        remotes: [{ type: 'streamable-http', url: 'https://weather.example.com/mcp' }],
      }),
    );
    await publish(
      serverJson('io.github.acme/files', '2.0.0', {
        description: 'Read and write files',
        packages: [
          { registryType: 'npm', identifier: '@acme/files-mcp', version: '2.0.0', transport: { type: 'stdio' } },
        ],
      }),
    );
    await publish(
      serverJson('io.github.evil/markup', '1.0.0', {
        title: `Evil ${XSS}`,
        description: `Description ${XSS}`,
        websiteUrl: 'https://evil.example.com',
      }),
    );
    await publish(
      serverJson('io.github.acme/toy', '1.0.0', {
        description: 'Echo and add',
        remotes: [
          {
            type: 'streamable-http',
            url: `${TOY_HOST}/{endpoint}`,
            variables: { endpoint: { description: 'Endpoint path', isRequired: true, default: 'mcp' } },
            headers: [{ name: 'X-Api-Key', description: 'Upstream API key', isRequired: true, isSecret: true }],
          },
        ],
      }),
    );
    // Contexts for the browser: a page and a bit in team-a (page size 25), one of them carrying markup.
    const createContext = (namespace: string, id: string, data: object) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/contexts?namespace=${namespace}&ttl_seconds=0`,
        headers: adminHeaders,
        payload: { context_id: id, data, metadata: { kind: 'test' } },
      });
    for (let i = 0; i < 26; i++) await createContext('team-a', `ctx-${String(i).padStart(2, '0')}`, { step: i });
    await createContext('team-a', 'zz-markup', { note: XSS, nested: { list: [1, 2, 3] } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await toy?.close();
  });

  const open = async (url: string, colorScheme: 'light' | 'dark' = 'light') => {
    context = await browser.newContext({ colorScheme, viewport: { width: 1200, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    page = await context.newPage();
    errors = [];
    dialogs = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      // The browser logs refused fetches that the pages handle and show: 404 for disabled capabilities, 401 before
      // sign-in, 409/422 that admin forms report inline.
      if (message.type() === 'error' && !/status of (40[1349]|422)/.test(message.text())) errors.push(message.text());
    });
    // Confirmations are accepted, and recorded so tests can check that a destructive action asked first.
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    await page.goto(base + url);
    return page;
  };

  afterEach(async () => {
    expect(errors).toEqual([]);
    await context?.close();
  });

  const seriousViolations = async () => {
    // Evaluated through the DevTools protocol, which the page's CSP (rightly) does not let a script tag do.
    await page.evaluate(axeSource);
    const result = await page.evaluate(async () => {
      return (globalThis as unknown as PageGlobals).axe.run();
    });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
  };

  it('searches, opens a server page and copies an install snippet with the values typed in', async () => {
    await open('/');
    await page.getByRole('searchbox', { name: 'Search servers' }).fill('weather');
    await page.waitForURL(/\?q=weather/);
    const card = page.getByRole('link', { name: 'Weather Forecasts', exact: true });
    // The unfiltered catalog shows the card too: wait for the search results to replace it.
    await expect.poll(() => page.locator('.card').count()).toBe(1);
    await card.waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'catalog-search.png') });
    expect(await seriousViolations()).toEqual([]);

    await card.click();
    await page.waitForURL(/\/servers\/com\.example%2Fweather/);
    await page.getByRole('heading', { name: 'Weather Forecasts', level: 1 }).waitFor();
    // Latest is 1.1.0: pick 1.0.0 from the versions table to fill in its URL variable and secret header.
    await page.getByRole('link', { name: '1.0.0', exact: true }).click();
    await page.getByLabel('region').fill('us');
    await page.getByLabel(/X-API-Key header/).fill('k-123');
    await page.getByRole('tab', { name: 'Cursor' }).click();
    await page.getByRole('button', { name: 'Copy' }).click();
    const copied = await page.evaluate(() => (globalThis as unknown as PageGlobals).navigator.clipboard.readText());
    expect(JSON.parse(copied)).toEqual({
      mcpServers: { weather: { url: 'https://us.weather.example.com/mcp', headers: { 'X-API-Key': 'k-123' } } },
    });
    await page.screenshot({ path: path.join(ARTIFACTS, 'server-page.png'), fullPage: true });
    expect(await seriousViolations()).toEqual([]);
  });

  it('moves between tabs with the keyboard', async () => {
    await open('/servers/io.github.acme%2Ffiles');
    await page.getByRole('tab', { name: 'VS Code' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Claude Desktop' }).getAttribute('aria-selected')).toBe('true');
    expect(JSON.parse(await page.getByTestId('snippet').innerText())).toEqual({
      mcpServers: { files: { command: 'npx', args: ['-y', '@acme/files-mcp@2.0.0'] } },
    });
  });

  it('renders markup in titles and descriptions as inert text', async () => {
    await open('/?q=markup');
    await page.getByText('Description <img src=x').waitFor();
    await open('/servers/io.github.evil%2Fmarkup');
    await page.getByRole('heading', { level: 1 }).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(`Evil ${XSS}`);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__xss)).toBeUndefined();
    expect(await page.locator('main img[src="x"], main script').count()).toBe(0);
  });

  it('shows the health dashboard in the dark theme', async () => {
    await open('/dashboard', 'dark');
    await page.getByRole('heading', { name: 'Health', level: 1 }).waitFor();
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.dataset.theme),
    ).toBe('dark');
    const unknown = page.locator('.stat.health-unknown strong');
    // weather, files, markup and the gateway's toy server
    expect(await unknown.innerText()).toBe('4');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-dark.png'), fullPage: true });
    expect(await seriousViolations()).toEqual([]);
  });

  it('lets an admin sign in and deprecate a version with a message', async () => {
    await open('/admin');
    await page.getByLabel('API key or registry token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await page.getByLabel('Server name').fill('com.example/weather');
    await page.getByRole('button', { name: 'Show versions' }).click();
    await page.getByLabel('New status for 1.0.0').selectOption('deprecated');
    await page.getByLabel('Message for 1.0.0').fill('Use 1.1.0: the regional URLs are gone');
    await page
      .getByRole('row', { name: /1\.0\.0/ })
      .getByRole('button', { name: 'Apply' })
      .click();
    await page.getByText('deprecated — Use 1.1.0: the regional URLs are gone').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-moderation.png'), fullPage: true });
    const res = await t.app.inject({ url: '/v0.1/servers/com.example%2Fweather/versions/1.0.0' });
    expect(res.json()._meta['io.modelcontextprotocol.registry/official']).toMatchObject({
      status: 'deprecated',
      statusMessage: 'Use 1.1.0: the regional URLs are gone',
    });
    expect(await seriousViolations()).toEqual([]);
  });
  const signIn = async (url: string) => {
    await open(url);
    await page.getByLabel('API key or registry token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
  };

  it('creates an API key with a scope and an expiry, shows it once, lists it and revokes it', async () => {
    await signIn('/admin/keys');
    const form = page.getByRole('form', { name: 'Create an API key' });
    await form.getByLabel('Name').fill('ci-bot');
    await form.getByLabel('Action').selectOption('publish');
    await form.getByLabel('Resource pattern').fill('com.example/*');
    await form.getByLabel('Expires in (days)').fill('30');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByTestId('new-key').innerText();
    expect(secret).toMatch(/^wharf_[A-Za-z0-9]+_/);
    await page.getByRole('button', { name: 'Copy key' }).click();
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).navigator.clipboard.readText())).toBe(
      secret,
    );
    const row = page.getByRole('row', { name: /ci-bot/ });
    await row.waitFor();
    expect(await row.innerText()).toContain('publish com.example/*');
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-keys.png'), fullPage: true });
    expect(await seriousViolations()).toEqual([]);

    // The key works, carries the scope and expires in about 30 days.
    const id = /^wharf_([A-Za-z0-9]+)_/.exec(secret)![1]!;
    const own = await t.app.inject({ url: `/api/v1/keys/${id}`, headers: { authorization: `Bearer ${secret}` } });
    expect(own.statusCode).toBe(200);
    expect(own.json().permissions).toEqual([{ action: 'publish', resource: 'com.example/*' }]);
    const days = (Date.parse(own.json().expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);

    // Shown once: the list and a fresh visit never show the secret again.
    await page.reload();
    await page.getByRole('row', { name: /ci-bot/ }).waitFor();
    expect(await page.getByTestId('new-key').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    await page
      .getByRole('row', { name: /ci-bot/ })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await expect.poll(() => page.getByRole('row', { name: /ci-bot/ }).count()).toBe(0);
    expect(dialogs).toEqual(['Revoke this key? Clients using it stop working at once.']);
    const after = await t.app.inject({ url: `/api/v1/keys/${id}`, headers: adminHeaders });
    expect(after.json().revoked_at).not.toBeNull();
  });

  it('attaches an upstream with a secret header, builds a virtual server from its tools, and detaches it', async () => {
    await signIn('/admin/gateway');
    await page.getByRole('heading', { name: 'Upstreams' }).waitFor();
    const attach = page.getByRole('form', { name: 'Attach an upstream' });
    await attach.getByLabel('Registry server').fill('io.github.acme/toy');
    await attach.getByRole('button', { name: 'Find versions' }).click();
    const keyField = attach.getByLabel(/X-Api-Key header/);
    expect(await keyField.getAttribute('type')).toBe('password');
    // Without the required header the API refuses, and its own words appear next to the form.
    await attach.getByRole('button', { name: 'Attach' }).click();
    await attach.getByRole('alert').filter({ hasText: 'Header "X-Api-Key" is required' }).waitFor();

    await keyField.fill(UPSTREAM_KEY);
    await attach.getByLabel('Alias (optional)').fill('toy');
    await attach.getByRole('button', { name: 'Attach' }).click();
    await page.getByText('Attached io.github.acme/toy as toy.').waitFor();
    const row = page.getByRole('row', { name: /io\.github\.acme\/toy/ });
    await row.getByText('ready').waitFor();
    expect(await row.innerText()).toContain('2 tools');
    // The secret went to the server, sealed: the page never shows it and the form forgot it.
    expect(await page.content()).not.toContain(UPSTREAM_KEY);
    expect(await attach.getByLabel(/X-Api-Key header/).inputValue()).toBe('');
    const stored = await t.app.inject({ url: '/api/v1/gateway/upstreams/toy', headers: adminHeaders });
    expect(stored.json().headers).toEqual({ 'X-Api-Key': '********' });
    expect(toy.seen.some((h) => h.get('x-api-key') === UPSTREAM_KEY)).toBe(true);

    // A virtual server picked from the federated tools list.
    const create = page.getByRole('form', { name: 'Create a virtual server' });
    await create.getByLabel('Name').fill('math');
    await create.getByLabel('Description').fill('Only adds');
    await create.getByRole('checkbox', { name: /^toy__add/ }).check();
    await create.getByRole('button', { name: 'Create virtual server' }).click();
    await page.getByText('Created math: served at /mcp/math.').waitFor();
    await page.getByRole('row', { name: /math/ }).getByText('/mcp/math').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-gateway.png'), fullPage: true });
    expect(await seriousViolations()).toEqual([]);

    // The same name again: the 409's detail shows inline.
    await create.getByLabel('Name').fill('math');
    await create.getByRole('checkbox', { name: /^toy__echo/ }).check();
    await create.getByRole('button', { name: 'Create virtual server' }).click();
    await create.getByRole('alert').waitFor();
    expect(await create.getByRole('alert').innerText()).toMatch(/math/);

    // Edit: add echo to math.
    await page.getByRole('button', { name: 'Edit math' }).click();
    const edit = page.getByRole('form', { name: 'Edit virtual server math' });
    expect(await edit.getByRole('checkbox', { name: /^toy__add/ }).isChecked()).toBe(true);
    await edit.getByRole('checkbox', { name: /^toy__echo/ }).check();
    await edit.getByRole('button', { name: 'Save virtual server' }).click();
    await page.getByText('Saved math.').waitFor();
    const math = await t.app.inject({ url: '/api/v1/gateway/virtual-servers/math', headers: adminHeaders });
    expect(math.json()).toMatchObject({ description: 'Only adds', tools: ['toy__add', 'toy__echo'] });

    // Update the upstream: the empty secret field keeps the stored key, so it stays connected.
    await page.getByRole('button', { name: 'Edit toy' }).click();
    const editUpstream = page.getByRole('form', { name: 'Edit upstream toy' });
    expect(await editUpstream.getByLabel(/X-Api-Key header/).inputValue()).toBe('');
    await editUpstream.getByRole('button', { name: 'Save upstream' }).click();
    await page.getByText('Updated toy.').waitFor();
    await page
      .getByRole('row', { name: /io\.github\.acme\/toy/ })
      .getByText('ready')
      .waitFor();

    await page.getByRole('button', { name: 'Delete math' }).click();
    await page.getByText('Deleted math.').waitFor();
    await page.getByRole('button', { name: 'Detach toy' }).click();
    await page.getByText('Detached toy.').waitFor();
    await page.getByText('No upstream is attached yet.').waitFor();
    expect(dialogs).toEqual([
      'Delete virtual server "math"? Clients of /mcp/math lose it at once.',
      'Detach upstream "toy"? Its tools disappear from /mcp at once.',
    ]);
    const left = await t.app.inject({ url: '/api/v1/gateway/upstreams', headers: adminHeaders });
    expect(left.json().count).toBe(0);
  });

  it('browses contexts by namespace and page, shows one as inert JSON, and deletes it', async () => {
    await signIn('/admin/contexts');
    await page.getByLabel('Namespace').fill('team-a');
    await page.getByRole('button', { name: 'Show contexts' }).click();
    await page.waitForURL(/namespace=team-a/);
    await page.getByRole('button', { name: 'Open ctx-00' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(25);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByRole('button', { name: 'Open zz-markup' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(2);
    await page.getByRole('button', { name: 'Open zz-markup' }).click();
    await page.waitForURL(/id=zz-markup/);
    const json = page.getByTestId('context-json');
    await json.waitFor();
    const shown = JSON.parse(await json.innerText());
    expect(shown).toMatchObject({
      context_id: 'zz-markup',
      namespace: 'team-a',
      payload: { data: { note: XSS, nested: { list: [1, 2, 3] } }, metadata: { kind: 'test' } },
    });
    expect(await json.innerText()).toContain('"nested": {\n');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__xss)).toBeUndefined();
    expect(await page.locator('main img[src="x"], main script').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-contexts.png'), fullPage: true });
    expect(await seriousViolations()).toEqual([]);

    await page.getByRole('button', { name: 'Delete context' }).click();
    await page.getByText('Deleted zz-markup.').waitFor();
    expect(dialogs).toEqual(['Delete context zz-markup? Watchers see a deleted event; this cannot be undone.']);
    const gone = await t.app.inject({ url: '/api/v1/contexts/zz-markup', headers: adminHeaders });
    expect(gone.statusCode).toBe(404);
  });
});
