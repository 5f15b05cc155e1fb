import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uiDirectory } from '../../src/ui/routes.js';
import { ADMIN_TOKEN, adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';

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

describe.skipIf(Boolean(reason))(`web UI in Chromium${reason}`, () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // No probes: the published remotes are fictitious, and the dashboard test counts servers never probed.
    t = await createTestApp({ env: { WHARF_PROBES: 'false' } });
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
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const open = async (url: string, colorScheme: 'light' | 'dark' = 'light') => {
    context = await browser.newContext({ colorScheme, viewport: { width: 1200, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    page = await context.newPage();
    errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      // The browser logs refused fetches (404 for disabled capabilities, 401 before sign-in) that the pages handle.
      if (message.type() === 'error' && !/status of 40[134]/.test(message.text())) errors.push(message.text());
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
    expect(await unknown.innerText()).toBe('3');
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
});
