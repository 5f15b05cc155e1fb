/**
 * A realistic catalogue for the search tests: hand-written servers (the ones queries must find) and generated
 * neighbours that share their words (the ones ranking must put below). Written for Wharf; no official data.
 */
import { expect } from 'vitest';
import { adminHeaders, serverJson } from '../../support/app.js';
import type { TestApp } from '../../support/app.js';

export type Kind =
  | { remote: 'streamable-http' | 'sse'; url?: string }
  | { pkg: 'npm' | 'pypi' | 'oci' | 'nuget' | 'mcpb' | 'cargo'; identifier?: string; transport?: string };

export interface FixtureServer {
  name: string;
  title?: string;
  description: string;
  kind: Kind | null;
}

const slug = (name: string) => name.slice(name.indexOf('/') + 1).toLowerCase();

export function serverDocument(server: FixtureServer, version = '1.0.0') {
  const extra: Record<string, unknown> = { description: server.description };
  if (server.title) extra.title = server.title;
  const kind = server.kind;
  if (kind && 'remote' in kind) {
    extra.remotes = [{ type: kind.remote, url: kind.url ?? `https://${slug(server.name)}.mcp.example/mcp` }];
  } else if (kind) {
    const defaults: Record<string, string> = {
      npm: `@${slug(server.name)}/mcp`,
      pypi: `${slug(server.name)}-mcp`,
      oci: `ghcr.io/example/${slug(server.name)}:1.0.0`,
      nuget: `Example.${slug(server.name)}`,
      mcpb: `https://downloads.example/${slug(server.name)}.mcpb`,
      cargo: `${slug(server.name)}-mcp`,
    };
    const pkg: Record<string, unknown> = {
      registryType: kind.pkg,
      identifier: kind.identifier ?? defaults[kind.pkg],
      transport: { type: kind.transport ?? 'stdio' },
    };
    if (kind.pkg !== 'oci') pkg.version = '1.0.0';
    if (kind.pkg === 'mcpb') pkg.fileSha256 = 'a'.repeat(64);
    extra.packages = [pkg];
  }
  return serverJson(server.name, version, extra);
}

export async function publishAll(t: TestApp, servers: readonly FixtureServer[]): Promise<void> {
  for (const server of servers) {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      payload: serverDocument(server),
      headers: adminHeaders,
    });
    expect(response.statusCode, `${server.name}: ${response.body}`).toBe(200);
  }
}

const s = (name: string, title: string | undefined, description: string, kind: Kind | null): FixtureServer => ({
  name,
  ...(title === undefined ? {} : { title }),
  description,
  kind,
});
const npm: Kind = { pkg: 'npm' };
const pypi: Kind = { pkg: 'pypi' };
const oci: Kind = { pkg: 'oci' };
const http: Kind = { remote: 'streamable-http' };
const sse: Kind = { remote: 'sse' };

/** The servers the relevance queries are about. */
export const NOTABLE: FixtureServer[] = [
  s('io.github.acme/weather', 'Weather', 'Current conditions and forecasts for any city', http),
  s(
    'io.github.skyward/weather-forecast',
    'Skyward Forecast',
    'Seven-day weather forecasts from national services',
    npm,
  ),
  s('com.stormtrack/alerts', 'Storm Alerts', 'Severe weather warnings and radar imagery', sse),
  s('io.github.pgtools/postgres', 'PostgreSQL', 'Query and inspect PostgreSQL databases', npm),
  s('io.github.dbkit/postgres-admin', 'Postgres Admin', 'Manage roles, vacuum and replication', pypi),
  s('io.github.datahub/sql-explorer', 'SQL Explorer', 'Run read-only SQL against Postgres, MySQL and SQLite', {
    pkg: 'oci',
    identifier: 'ghcr.io/datahub/sql-explorer:2.1.0',
  }),
  s('com.slack/slack', 'Slack', 'Send messages and search channels in Slack workspaces', {
    remote: 'streamable-http',
    url: 'https://mcp.slack.example/mcp',
  }),
  s('io.github.chatops/slack-notifier', 'Slack Notifier', 'Post build results to a channel', npm),
  s('io.github.kube/kubernetes', 'Kubernetes', 'Inspect pods, deployments and logs in a cluster', oci),
  s('io.github.helmhub/helm-charts', 'Helm Charts', 'Search and install Helm charts on Kubernetes', npm),
  s('com.stripe/payments', 'Stripe Payments', 'Create payment links, refunds and invoices with Stripe', http),
  s('io.github.billing/invoice-generator', 'Invoice Generator', 'Generate PDF invoices from order data', pypi),
  s('io.github.notionhq/notion', 'Notion', 'Read and write Notion pages and databases', npm),
  s('io.github.jira-tools/jira', 'Jira', 'Create and update Jira issues and sprints', npm),
  s('io.github.octo/GitHubIssues', 'GitHub Issues', 'Triage issues and pull requests', npm),
  s('io.github.containers/docker-manager', 'Docker Manager', 'Start, stop and inspect Docker containers', oci),
  s('io.github.browserbase/browser', 'Headless Browser', 'Navigate pages, click and take screenshots', http),
  s('io.github.playwright-mcp/playwright', 'Playwright', 'Browser automation with Playwright', npm),
  s('io.github.memoryco/memory', 'Memory', 'Long-term memory for agents using a knowledge graph', npm),
  s('io.github.vectors/vector-search', 'Vector Search', 'Semantic search over embeddings stored in pgvector', pypi),
  s('io.github.fin/finance-quotes', 'Finance Quotes', 'Real-time stock quotes and market data', http),
  s('io.github.crypto/coin-prices', 'Coin Prices', 'Cryptocurrency prices and portfolio tracking', npm),
  s('io.github.mapsco/maps', 'Maps', 'Geocoding, directions and places search', http),
  s('io.github.calendar/google-calendar', 'Google Calendar', 'List, create and update calendar events', npm),
  s('io.github.mailer/email-sender', 'Email Sender', 'Send transactional email through SMTP', pypi),
  s('io.github.files/filesystem', 'Filesystem', 'Read, write and search local files', npm),
  s('io.github.git-tools/git', 'Git', 'Commit, diff and log for local git repositories', pypi),
  s('io.github.lingua/translator', 'Translator', 'Translate text between 100 languages', http),
  s('io.github.pdfkit/pdf-reader', 'PDF Reader', 'Extract text and tables from PDF documents', pypi),
  s('io.github.spotify-tools/spotify', 'Spotify', 'Control playback and search the Spotify catalog', npm),
  s('io.github.tubeco/youtube-transcripts', 'YouTube Transcripts', 'Fetch transcripts of videos', npm),
  s('io.github.clock/time', 'Time', 'Current time and timezone conversions', { pkg: 'nuget' }),
  s('io.github.sentry/sentry', 'Sentry', 'Query Sentry errors and performance issues', http),
  s('io.github.linear/linear', 'Linear', 'Manage Linear issues, projects and cycles', sse),
  s('io.github.figma/figma-dev', 'Figma', 'Read Figma designs and export assets', { pkg: 'mcpb' }),
  s('io.github.aws-labs/aws-s3', 'AWS S3', 'List buckets and read objects in Amazon S3', pypi),
  s('io.github.azure/azure-devops', 'Azure DevOps', 'Work items, pipelines and repos', { pkg: 'nuget' }),
  s('io.github.rustacean/cargo-docs', 'Cargo Docs', 'Search documentation of Rust crates', { pkg: 'cargo' }),
  s('io.github.redisinc/redis', 'Redis', 'Get, set and scan keys in Redis', npm),
  s('io.github.mongo/mongodb', 'MongoDB', 'Query MongoDB collections and aggregations', npm),
  s('io.github.search-co/web-search', 'Web Search', 'Search the web and return summarized results', http),
  s('io.github.newsdesk/news-headlines', 'News Headlines', 'Top headlines from news sources worldwide', http),
  s('io.github.bare/no-distribution', undefined, 'A server that declares neither remotes nor packages', null),
];

const OWNERS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo'];
const TOPICS = [
  'notes',
  'todo',
  'crm',
  'analytics',
  'logs',
  'metrics',
  'tickets',
  'wiki',
  'chat',
  'storage',
  'queue',
  'cache',
  'auth',
  'images',
  'audio',
  'forms',
  'surveys',
  'backup',
  'dns',
  'cdn',
];
const PHRASES = [
  'Tools for {t} tasks in your workspace',
  'Manage {t} with natural language',
  'A {t} integration for assistants',
  'Search and update {t} records',
  'Weather-aware scheduling for {t}',
  'Sync {t} between services',
];

/** Neighbours: names made of common words (mcp, server), descriptions sharing the notable servers' words. */
export function generatedServers(count: number): FixtureServer[] {
  const out: FixtureServer[] = [];
  for (let i = 0; out.length < count; i++) {
    const owner = OWNERS[i % OWNERS.length]!;
    const topic = TOPICS[(i * 7) % TOPICS.length]!;
    const suffix = ['mcp', 'server', 'mcp-server', 'tools'][i % 4]!;
    const name = `io.github.${owner}/${topic}-${suffix}-${i}`;
    const description = PHRASES[i % PHRASES.length]!.replace('{t}', topic);
    const kinds: (Kind | null)[] = [npm, pypi, http, oci, sse, npm, null];
    const kind = kinds[i % kinds.length]!;
    out.push(s(name, `${topic[0]!.toUpperCase()}${topic.slice(1)} ${suffix.toUpperCase()}`, description, kind));
  }
  return out;
}
