/**
 * The relevance set: for each query, the servers that must be among the first five results, on a catalogue of
 * ~150 servers (fixture.ts). Runs on SQLite and PostgreSQL, then checks that both rank every query identically.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../../support/app.js';
import type { TestApp } from '../../support/app.js';
import { describeEachDatabase, postgresUrl } from '../../support/databases.js';
import { NOTABLE, generatedServers, publishAll } from './fixture.js';

const CATALOGUE = [...NOTABLE, ...generatedServers(110)];

/** query → servers that must appear in the first five results (in any order). */
const RELEVANCE: [string, string[]][] = [
  ['weather', ['io.github.acme/weather', 'io.github.skyward/weather-forecast']],
  ['weather forecast', ['io.github.skyward/weather-forecast', 'io.github.acme/weather']],
  ['forecast weather', ['io.github.skyward/weather-forecast']],
  ['severe weather', ['com.stormtrack/alerts']],
  ['postgres', ['io.github.pgtools/postgres', 'io.github.dbkit/postgres-admin', 'io.github.datahub/sql-explorer']],
  ['PostgreSQL', ['io.github.pgtools/postgres']],
  ['postgress', ['io.github.pgtools/postgres', 'io.github.dbkit/postgres-admin']],
  ['slack', ['com.slack/slack', 'io.github.chatops/slack-notifier']],
  ['slak', ['com.slack/slack', 'io.github.chatops/slack-notifier']],
  ['kubernetes', ['io.github.kube/kubernetes', 'io.github.helmhub/helm-charts']],
  ['kubernetse', ['io.github.kube/kubernetes']],
  ['stripe', ['com.stripe/payments']],
  ['invoice', ['io.github.billing/invoice-generator', 'com.stripe/payments']],
  ['github issues', ['io.github.octo/GitHubIssues']],
  ['issues', ['io.github.octo/GitHubIssues', 'io.github.jira-tools/jira', 'io.github.linear/linear']],
  ['browser automation', ['io.github.playwright-mcp/playwright']],
  ['browser', ['io.github.browserbase/browser', 'io.github.playwright-mcp/playwright']],
  ['screenshots', ['io.github.browserbase/browser']],
  ['knowledge graph', ['io.github.memoryco/memory']],
  ['semantic search', ['io.github.vectors/vector-search']],
  ['stock quotes', ['io.github.fin/finance-quotes']],
  ['crypto', ['io.github.crypto/coin-prices']],
  ['calendar events', ['io.github.calendar/google-calendar']],
  ['email', ['io.github.mailer/email-sender']],
  ['pdf', ['io.github.pdfkit/pdf-reader', 'io.github.billing/invoice-generator']],
  ['rust crates', ['io.github.rustacean/cargo-docs']],
  ['s3', ['io.github.aws-labs/aws-s3']],
  ['ghcr.io/datahub/sql-explorer', ['io.github.datahub/sql-explorer']],
  ['mcp.slack.example', ['com.slack/slack']],
  ['io.github.acme/weather', ['io.github.acme/weather']],
  ['weath', ['io.github.acme/weather', 'io.github.skyward/weather-forecast']],
  ['transcripts', ['io.github.tubeco/youtube-transcripts']],
  ['devops', ['io.github.azure/azure-devops']],
  ['timezone', ['io.github.clock/time']],
  ['translate', ['io.github.lingua/translator']],
  ['docker containers', ['io.github.containers/docker-manager']],
  ['Docker', ['io.github.containers/docker-manager']],
];

/** Queries whose first result is fixed by the ranking rules (exact name, exact slug). */
const FIRST: [string, string][] = [
  ['io.github.acme/weather', 'io.github.acme/weather'],
  ['weather', 'io.github.acme/weather'],
  ['slack', 'com.slack/slack'],
  ['postgres', 'io.github.pgtools/postgres'],
  ['weather forecast', 'io.github.skyward/weather-forecast'],
  ['githubissues', 'io.github.octo/GitHubIssues'],
];

const search = async (t: TestApp, query: string, limit = 5): Promise<string[]> => {
  const response = await t.app.inject({
    url: `/v0.1/servers?version=latest&limit=${limit}&search=${encodeURIComponent(query)}`,
  });
  expect(response.statusCode, response.body).toBe(200);
  return (response.json() as { servers: { server: { name: string } }[] }).servers.map((s) => s.server.name);
};

const COMPARED = [...RELEVANCE.map(([q]) => q), 'mcp', 'server', 'tools', 'io.github', 'a', 'search records'];
/** Full rankings (up to 100) per dialect, recorded by the suites above, compared below. */
const rankings = new Map<string, string[][]>();

describeEachDatabase('search relevance', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ database });
    await publishAll(t, CATALOGUE);
  }, 60_000);
  afterAll(async () => t?.close());

  it(`has a catalogue of ${CATALOGUE.length} servers`, () => {
    expect(CATALOGUE.length).toBeGreaterThanOrEqual(150);
  });

  it.each(RELEVANCE)('"%s" finds the expected servers in its first five results', async (query, expected) => {
    const top = await search(t, query);
    for (const name of expected) expect(top, `"${query}" top five: ${top.join(', ')}`).toContain(name);
  });

  it.each(FIRST)('"%s" ranks %s first', async (query, first) => {
    expect((await search(t, query))[0]).toBe(first);
  });

  it('records the full rankings for the cross-database comparison', async () => {
    const all: string[][] = [];
    for (const query of COMPARED) all.push(await search(t, query, 100));
    expect(all.some((names) => names.length > 30)).toBe(true);
    rankings.set(database.name, all);
  });
});

describe.skipIf(!postgresUrl())('search relevance: SQLite and PostgreSQL agree', () => {
  it('ranks every relevance query (and common words) identically', () => {
    const sqlite = rankings.get('sqlite');
    const postgres = rankings.get('postgres');
    expect(sqlite, 'the SQLite suite ran first').toBeDefined();
    expect(postgres, 'the PostgreSQL suite ran first').toBeDefined();
    COMPARED.forEach((query, i) => expect(postgres?.[i], `"${query}"`).toEqual(sqlite?.[i]));
  });
});
