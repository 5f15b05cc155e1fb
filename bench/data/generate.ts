/**
 * Deterministic generator of realistic server.json documents for the registry benchmarks.
 *
 *   npx tsx bench/data/generate.ts --servers 25000 --out /tmp/servers.json [--validate] [--builtin]
 *
 * (--validate also checks every document against the official JSON Schema when ../shared/ is present; --builtin
 * ignores the seed file and uses the built-in vocabulary, as a fresh clone would.)
 *
 * Shapes follow the real servers of the official registry's last large seed (see model.ts): mostly `io.github.*`
 * names with a few owners publishing many servers, one package per server (npm > pypi > oci > nuget > mcpb), a quarter
 * of the servers with remotes (some with headers or URL template variables), a few with neither, descriptions up to
 * 100 characters, 1 to 25 versions per server (mean about 3.4), some prereleases and a few non-semver versions.
 *
 * Remote hosts, websites and icons use the reserved `.example` top-level domain (RFC 2606), so that nothing the
 * server might do with those URLs (liveness probes) can reach a real host.
 *
 * Bump GENERATOR_VERSION whenever the output changes: it is part of the data-set cache key (bench/lib/dataset.ts).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { clampDescription, loadModel, type Model } from './model.js';
import { Rng, hashString } from './prng.js';
import {
  DESCRIPTION_TEMPLATES,
  ENV_VAR_SUFFIXES,
  FIRST_NAMES,
  LAST_NAMES,
  OWNER_SUFFIXES,
  THINGS,
  VERBS,
} from './vocabulary.js';

export const GENERATOR_VERSION = 1;
export const SCHEMA_URL = 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json';

export const NAMESPACE_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9.-]*[a-zA-Z0-9]$/;
export const NAME_PART_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$/;

// ---------------------------------------------------------------------------------------------------------------
// server.json types (the subset the generator emits; the bench talks to Wharf over the wire only)

export interface Input {
  description?: string;
  isRequired?: boolean;
  format?: 'string' | 'number' | 'boolean' | 'filepath';
  value?: string;
  isSecret?: boolean;
  default?: string;
  placeholder?: string;
  choices?: string[];
}
export interface KeyValueInput extends Input {
  name: string;
}
export interface Argument extends Input {
  type: 'positional' | 'named';
  name?: string;
  valueHint?: string;
  isRepeated?: boolean;
}
export interface Transport {
  type: 'stdio' | 'streamable-http' | 'sse';
  url?: string;
  headers?: KeyValueInput[];
}
export interface Package {
  registryType: 'npm' | 'pypi' | 'oci' | 'nuget' | 'mcpb';
  registryBaseUrl?: string;
  identifier: string;
  version?: string;
  fileSha256?: string;
  runtimeHint?: string;
  transport: Transport;
  runtimeArguments?: Argument[];
  packageArguments?: Argument[];
  environmentVariables?: KeyValueInput[];
}
export interface Remote {
  type: 'streamable-http' | 'sse';
  url: string;
  headers?: KeyValueInput[];
  variables?: Record<string, Input>;
}
export interface ServerJson {
  $schema: string;
  name: string;
  description: string;
  title?: string;
  repository?: { url: string; source: string; id?: string; subfolder?: string };
  version: string;
  websiteUrl?: string;
  icons?: { src: string; mimeType?: string; sizes?: string[] }[];
  packages?: Package[];
  remotes?: Remote[];
  _meta?: Record<string, unknown>;
}

export interface GeneratedServer {
  name: string;
  /** Oldest first: the order in which they would have been published. */
  versions: ServerJson[];
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

const capitalise = (word: string): string => (word ? word[0]!.toUpperCase() + word.slice(1) : word);
const TOPIC_DISPLAY: Record<string, string> = {
  github: 'GitHub',
  gitlab: 'GitLab',
  postgres: 'Postgres',
  mysql: 'MySQL',
  mongodb: 'MongoDB',
  graphql: 'GraphQL',
  openai: 'OpenAI',
  openapi: 'OpenAPI',
  aws: 'AWS',
  gcp: 'GCP',
  pdf: 'PDF',
  ci: 'CI',
  hr: 'HR',
  crm: 'CRM',
  erp: 'ERP',
  sap: 'SAP',
  seo: 'SEO',
  sms: 'SMS',
  ssh: 'SSH',
  rss: 'RSS',
  ocr: 'OCR',
  tts: 'TTS',
  iot: 'IoT',
  rag: 'RAG',
};
const display = (topic: string): string => TOPIC_DISPLAY[topic] ?? capitalise(topic);

interface Identity {
  namespace: string;
  /** GitHub owner of the repository (also used for docker images and hosts). */
  owner: string;
  /** Host-friendly company label. */
  company: string;
  slug: string;
  topic: string;
  topic2: string;
}

class Generator {
  private readonly rng: Rng;
  private readonly owners: string[] = [];
  private readonly usedNames = new Set<string>();
  private readonly usedRemoteUrls = new Set<string>();

  constructor(
    private readonly model: Model,
    seedLabel: string,
    ownerPoolSize: number,
  ) {
    this.rng = new Rng(`${seedLabel}:${GENERATOR_VERSION}:${model.fingerprint}`);
    this.buildOwnerPool(ownerPoolSize);
  }

  private buildOwnerPool(size: number): void {
    const rng = this.rng;
    const seen = new Set<string>();
    const add = (owner: string): void => {
      if (!NAMESPACE_PATTERN.test(owner) || seen.has(owner.toLowerCase())) return;
      seen.add(owner.toLowerCase());
      this.owners.push(owner);
    };
    // Real owners first: the skewed pick makes the early entries the prolific ones.
    for (const owner of this.model.owners) {
      if (this.owners.length >= Math.ceil(size / 3)) break;
      add(owner);
    }
    for (let attempt = 0; this.owners.length < size && attempt < size * 20; attempt++) {
      const topic = rng.pick(this.model.topics);
      const style = rng.weighted([
        ['topic-suffix', 30],
        ['person', 35],
        ['topicsuffix', 10],
        ['person-digits', 15],
        ['camel', 10],
      ] as const);
      let owner: string;
      switch (style) {
        case 'topic-suffix':
          owner = `${topic}-${rng.pick(OWNER_SUFFIXES)}`;
          break;
        case 'topicsuffix':
          owner = `${topic}${rng.pick(OWNER_SUFFIXES)}`;
          break;
        case 'person':
          owner = rng.chance(0.5)
            ? `${rng.pick(FIRST_NAMES)}${rng.pick(LAST_NAMES)}`
            : `${rng.pick(FIRST_NAMES)}-${rng.pick(LAST_NAMES)}`;
          break;
        case 'person-digits':
          owner = `${rng.pick(FIRST_NAMES)}${rng.int(1, 9999)}`;
          break;
        case 'camel':
          owner = `${display(topic)}${capitalise(rng.pick(OWNER_SUFFIXES))}`;
          break;
      }
      add(owner);
    }
  }

  private identity(index: number): Identity {
    const rng = this.rng;
    for (let attempt = 0; attempt < 8; attempt++) {
      const topic = rng.pick(this.model.topics);
      let topic2 = rng.pick(this.model.topics);
      if (topic2 === topic) topic2 = rng.pick(this.model.topics);
      const owner = this.owners[rng.skewedIndex(this.owners.length, 2)] ?? 'wharf-bench';
      const kind = rng.weighted([
        ['github', 85],
        ['company', 13],
        ['personal', 2],
      ] as const);
      let namespace: string;
      let company: string;
      let repoOwner = owner;
      if (kind === 'github') {
        namespace = `io.github.${owner}`;
        company = owner.toLowerCase();
      } else if (kind === 'company') {
        company = rng.chance(0.6) ? topic : `${topic}${rng.pick(OWNER_SUFFIXES)}`;
        namespace = `${rng.weighted([
          ['com', 60],
          ['io', 15],
          ['ai', 12],
          ['dev', 8],
          ['app', 5],
        ] as const)}.${company}`;
        repoOwner = company;
      } else {
        company = `${rng.pick(FIRST_NAMES)}${rng.pick(LAST_NAMES)}`;
        namespace = `dev.${company}`;
        repoOwner = company;
      }
      const slug = rng.weighted([
        [`${topic}-mcp`, 20],
        [`mcp-server-${topic}`, 15],
        [`${topic}-mcp-server`, 15],
        [`mcp-${topic}`, 10],
        [`${topic}-${topic2}-mcp`, 10],
        [topic, 8],
        [`${topic}-${topic2}`, 7],
        [`mcp-${topic}-${topic2}`, 6],
        [`${topic}_mcp`, 4],
        [`${display(topic)}MCP`, 3],
        [`${topic}.mcp`, 2],
      ] as const);
      const name = attempt < 7 ? `${namespace}/${slug}` : `${namespace}/${slug}-${index}`;
      const key = name.toLowerCase();
      if (this.usedNames.has(key)) continue;
      if (!NAMESPACE_PATTERN.test(namespace) || !NAME_PART_PATTERN.test(slug) || name.length > 200) continue;
      this.usedNames.add(key);
      return { namespace, owner: repoOwner, company, slug, topic, topic2 };
    }
    throw new Error(`could not find a unique name for server #${index}`);
  }

  private description(id: Identity): string {
    const rng = this.rng;
    if (this.model.descriptions.length > 0 && rng.chance(0.45)) return rng.pick(this.model.descriptions);
    const template = rng.pick(DESCRIPTION_TEMPLATES);
    const verb = rng.pick(VERBS);
    let verb2 = rng.pick(VERBS);
    if (verb2 === verb) verb2 = rng.pick(VERBS);
    const text = template
      .replace('{Topic}', display(id.topic))
      .replace('{Topic2}', display(id.topic2))
      .replace('{verb}', verb)
      .replace('{verb2}', verb2)
      .replace('{things}', rng.pick(THINGS))
      .replace('{things2}', rng.pick(THINGS));
    return clampDescription(text.replace(/\{Topic\}/g, display(id.topic))) || `${display(id.topic)} MCP server`;
  }

  private versionSequence(): string[] {
    const rng = this.rng;
    const count = rng.weighted([
      [1, 30],
      [2, 22],
      [3, 16],
      [4, 10],
      [5, 7],
      [6, 5],
      [8, 4],
      [10, 3],
      [15, 2],
      [25, 1],
    ] as const);
    const style = rng.weighted([
      ['semver', 96.5],
      ['date', 2.5],
      ['two-part', 1],
    ] as const);
    const out: string[] = [];
    if (style === 'date') {
      let day = Date.UTC(2025, rng.int(0, 5), rng.int(1, 28));
      for (let i = 0; i < count; i++) {
        out.push(new Date(day).toISOString().slice(0, 10));
        day += rng.int(3, 60) * 86_400_000;
      }
      return out;
    }
    if (style === 'two-part') {
      const major = rng.int(0, 2);
      for (let i = 0; i < count; i++) out.push(`${major}.${i}`);
      return out;
    }
    let [major, minor, patch] = rng.pick([
      [0, 1, 0],
      [1, 0, 0],
      [0, 0, 1],
      [0, 2, 0],
      [1, 0, 0],
      [2, 1, 3],
    ] as const) as readonly number[] as [number, number, number];
    out.push(`${major}.${minor}.${patch}`);
    const prereleases = rng.chance(0.15);
    for (let guard = 0; out.length < count && guard < count * 3; guard++) {
      const roll = rng.next();
      if (roll < 0.06) [major, minor, patch] = [major + 1, 0, 0];
      else if (roll < 0.32) [minor, patch] = [minor + 1, 0];
      else patch += 1;
      const base = `${major}.${minor}.${patch}`;
      if (prereleases && patch === 0 && out.length < count - 1 && rng.chance(0.7)) {
        out.push(`${base}-${rng.pick(['alpha', 'beta', 'rc'])}.1`);
        if (out.length < count - 1 && rng.chance(0.4)) out.push(`${base}-rc.2`);
      }
      if (out.length < count) out.push(base);
    }
    // A few servers whose newest version is a prerelease of the next major.
    if (rng.chance(0.04)) out.push(`${major + 1}.0.0-beta.${rng.int(1, 3)}`);
    return out;
  }

  private envVars(id: Identity): KeyValueInput[] {
    const rng = this.rng;
    const count = rng.weighted([
      [0, 57],
      [1, 20],
      [2, 12],
      [3, 6],
      [4, 3],
      [6, 2],
    ] as const);
    const out: KeyValueInput[] = [];
    const names = new Set<string>();
    const prefix = id.topic.toUpperCase();
    for (let i = 0; i < count * 2 && out.length < count; i++) {
      let name: string;
      let description: string;
      if (this.model.envVars.length > 0 && rng.chance(0.4)) {
        ({ name, description } = rng.pick(this.model.envVars));
      } else {
        const [suffix, text] = rng.pick(ENV_VAR_SUFFIXES);
        name = `${prefix}_${suffix}`;
        description = text.replace('{Topic}', display(id.topic));
      }
      if (names.has(name)) continue;
      names.add(name);
      const env: KeyValueInput = { description: description || name, name };
      const secret = /KEY|TOKEN|SECRET|PASSWORD/.test(name);
      if (secret || rng.chance(0.4)) env.isRequired = true;
      if (name.endsWith('PORT')) {
        env.format = 'number';
        env.default = String(rng.pick([5432, 3306, 6379, 8080, 9200, 27017]));
      }
      if (secret) env.isSecret = true;
      if (name.endsWith('LOG_LEVEL')) {
        env.default = 'info';
        env.choices = ['debug', 'info', 'warn', 'error'];
      }
      // Restore the official key order: description, isRequired, format, value, isSecret, default, choices, name.
      out.push({
        description: env.description,
        ...(env.isRequired ? { isRequired: true } : {}),
        ...(env.format ? { format: env.format } : {}),
        ...(env.isSecret ? { isSecret: true } : {}),
        ...(env.default ? { default: env.default } : {}),
        ...(env.choices ? { choices: env.choices } : {}),
        name,
      });
    }
    return out;
  }

  private packageArguments(id: Identity): Argument[] {
    const rng = this.rng;
    const count = rng.weighted([
      [0, 60],
      [1, 16],
      [2, 11],
      [3, 7],
      [5, 6],
    ] as const);
    const out: Argument[] = [];
    const used = new Set<string>();
    for (let i = 0; i < count; i++) {
      const kind = rng.pick(['positional', 'named', 'named'] as const);
      if (kind === 'positional') {
        const hint = rng.pick(['directory', 'config_file', 'workspace_path', 'database_url', 'project_id']);
        if (used.has(hint)) continue;
        used.add(hint);
        out.push({
          description: `${capitalise(hint.replace(/_/g, ' '))} for ${display(id.topic)}`,
          isRequired: true,
          format: hint.includes('url') || hint.includes('id') ? 'string' : 'filepath',
          type: 'positional',
          valueHint: hint,
        });
      } else {
        const [flag, description, value] = rng.pick([
          ['--read-only', 'Only expose read tools', undefined],
          ['--port', 'Port to listen on', '8080'],
          ['--transport', 'Transport to use', 'stdio'],
          ['--config', 'Path to a configuration file', undefined],
          ['--log-level', 'Log verbosity', 'info'],
          ['--toolsets', 'Comma-separated list of tool sets to enable', 'all'],
        ] as const);
        if (used.has(flag)) continue;
        used.add(flag);
        out.push({ description, ...(value ? { default: value } : {}), type: 'named', name: flag });
      }
    }
    return out;
  }

  /** The per-server, version-independent part of a package; `build(version)` fills in the versioned fields. */
  private packageFactory(id: Identity): (version: string, index: number) => Package {
    const rng = this.rng;
    const type = rng.weighted([
      ['npm', 45],
      ['pypi', 30],
      ['oci', 19],
      ['nuget', 3],
      ['mcpb', 3],
    ] as const);
    const env = this.envVars(id);
    const args = this.packageArguments(id);
    const withBaseUrl = rng.chance(0.5);
    const withHint = rng.chance(0.3);
    const httpTransport = type !== 'mcpb' && rng.chance(0.04);
    if (httpTransport && !env.some((e) => e.name === 'PORT')) {
      env.push({ description: 'Port for the HTTP transport', format: 'number', default: '8080', name: 'PORT' });
    }
    const transport: Transport = httpTransport
      ? { type: 'streamable-http', url: 'http://localhost:{PORT}/mcp' }
      : { type: 'stdio' };
    const ownerLower = id.owner.toLowerCase();
    const slugLower = id.slug.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
    const npmName = rng.chance(0.6) ? `@${ownerLower}/${slugLower.replace(/\./g, '-')}` : slugLower;
    const pypiName = rng.chance(0.5) ? slugLower.replace(/[._]/g, '-') : `mcp-server-${id.topic}`;
    const registry = rng.pick(['docker.io', 'docker.io', 'ghcr.io', 'quay.io']);
    const nugetName = `${capitalise(id.company.replace(/[^a-zA-Z0-9]/g, ''))}.${display(id.topic)}.Mcp`;
    const runtimeArguments: Argument[] | undefined =
      type === 'oci' && rng.chance(0.3)
        ? [{ description: 'Docker network mode', value: 'host', type: 'named', name: '--network' }]
        : undefined;
    const extras = (pkg: Package): Package => ({
      ...pkg,
      transport,
      ...(runtimeArguments ? { runtimeArguments } : {}),
      ...(args.length ? { packageArguments: args } : {}),
      ...(env.length ? { environmentVariables: env } : {}),
    });
    return (version, index) => {
      const semverish = /^\d+\.\d+\.\d+/.test(version) ? version : `0.${index + 1}.0`;
      switch (type) {
        case 'npm':
          return extras({
            registryType: 'npm',
            ...(withBaseUrl ? { registryBaseUrl: 'https://registry.npmjs.org' } : {}),
            identifier: npmName,
            version: semverish,
            ...(withHint ? { runtimeHint: 'npx' } : {}),
            transport,
          });
        case 'pypi':
          return extras({
            registryType: 'pypi',
            ...(withBaseUrl ? { registryBaseUrl: 'https://pypi.org' } : {}),
            identifier: pypiName,
            version: semverish,
            ...(withHint ? { runtimeHint: 'uvx' } : {}),
            transport,
          });
        case 'oci':
          return extras({
            registryType: 'oci',
            identifier: `${registry}/${ownerLower}/${slugLower.replace(/_/g, '-')}:${semverish}`,
            ...(withHint ? { runtimeHint: 'docker' } : {}),
            transport,
          });
        case 'nuget':
          return extras({
            registryType: 'nuget',
            ...(withBaseUrl ? { registryBaseUrl: 'https://api.nuget.org/v3/index.json' } : {}),
            identifier: nugetName,
            version: semverish,
            ...(withHint ? { runtimeHint: 'dnx' } : {}),
            transport,
          });
        case 'mcpb':
          return extras({
            registryType: 'mcpb',
            identifier: `https://github.com/${id.owner}/${id.slug}/releases/download/v${semverish}/${slugLower}.mcpb`,
            version: semverish,
            fileSha256: new Rng(hashString(`${id.namespace}/${id.slug}@${version}`)).hex(64),
            transport: { type: 'stdio' },
          });
      }
    };
  }

  private remotes(id: Identity, index: number): Remote[] {
    const rng = this.rng;
    const owner = id.owner.toLowerCase();
    const host = id.slug.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    const type = rng.chance(0.8) ? 'streamable-http' : 'sse';
    const suffix = type === 'sse' ? 'sse' : 'mcp';
    const templated = rng.chance(0.03);
    let url = templated
      ? `https://{tenant_id}.${host}.${owner}.example/${suffix}`
      : rng.weighted([
          [`https://mcp.${id.company}.example/${host}/${suffix}`, 35],
          [`https://${host}.${owner}.workers.example/${suffix}`, 25],
          [`https://api.${id.company}.example/v1/${host}/${suffix}`, 20],
          [`https://${host}-${owner}.fly.example/${suffix}`, 20],
        ] as const);
    if (this.usedRemoteUrls.has(url)) url = `${url}/${index}`;
    this.usedRemoteUrls.add(url);
    const remote: Remote = { type, url };
    if (rng.chance(0.35)) {
      remote.headers = [
        rng.chance(0.7)
          ? {
              description: `Bearer token for ${display(id.topic)}`,
              isRequired: true,
              isSecret: true,
              name: 'Authorization',
            }
          : { description: 'API key', isRequired: true, isSecret: true, name: 'X-API-Key' },
      ];
    }
    if (templated) {
      remote.variables = {
        tenant_id: { description: "Your tenant identifier (e.g. 'us-cell1', 'emea-cell1')", isRequired: true },
      };
    }
    const out = [remote];
    if (rng.chance(0.15)) {
      const other: Remote = {
        ...remote,
        type: type === 'sse' ? 'streamable-http' : 'sse',
        url: remote.url.replace(/\/(mcp|sse)(\/\d+)?$/, type === 'sse' ? '/mcp$2' : '/sse$2'),
      };
      if (!this.usedRemoteUrls.has(other.url)) {
        this.usedRemoteUrls.add(other.url);
        out.push(other);
      }
    }
    return out;
  }

  server(index: number): GeneratedServer {
    const rng = this.rng;
    const id = this.identity(index);
    const name = `${id.namespace}/${id.slug}`;
    const shape = rng.weighted([
      ['packages', 66],
      ['remotes', 18],
      ['both', 11],
      ['neither', 5],
    ] as const);
    const packageCount = shape === 'packages' || shape === 'both' ? rng.weighted([[1, 92], [2, 7], [3, 1]] as const) : 0; // prettier-ignore
    const packageFactories = Array.from({ length: packageCount }, () => this.packageFactory(id));
    const remotes = shape === 'remotes' || shape === 'both' ? this.remotes(id, index) : [];
    const title = rng.chance(0.35)
      ? rng.pick([`${display(id.topic)} MCP`, `${display(id.topic)} MCP Server`, display(id.topic)])
      : undefined;
    const repository = rng.chance(0.88)
      ? {
          url: `https://github.com/${id.owner}/${id.slug}`,
          source: 'github',
          ...(rng.chance(0.3) ? { id: String(rng.int(100_000_000, 999_999_999)) } : {}),
          ...(rng.chance(0.04) ? { subfolder: `servers/${id.topic}` } : {}),
        }
      : undefined;
    const websiteUrl = rng.chance(0.2)
      ? rng.pick([`https://${id.company}.example/${id.slug.toLowerCase()}`, `https://docs.${id.company}.example/mcp`])
      : undefined;
    const icons = rng.chance(0.06)
      ? [{ src: `https://${id.company}.example/icon.png`, mimeType: 'image/png', sizes: ['64x64'] }]
      : undefined;
    const meta = rng.chance(0.02)
      ? {
          'io.modelcontextprotocol.registry/publisher-provided': {
            tool: 'publisher-cli',
            version: '1.3.0',
            buildInfo: { commit: rng.hex(12), pipelineId: `build-${rng.int(1, 9999)}` },
          },
        }
      : undefined;
    let description = this.description(id);
    const versions = this.versionSequence().map((version, versionIndex): ServerJson => {
      if (versionIndex > 0 && rng.chance(0.1)) description = this.description(id);
      const packages = packageFactories.map((build) => build(version, versionIndex));
      // Key order follows the official registry's serialisation.
      return {
        $schema: SCHEMA_URL,
        name,
        description,
        ...(title ? { title } : {}),
        ...(repository ? { repository } : {}),
        version,
        ...(websiteUrl ? { websiteUrl } : {}),
        ...(icons ? { icons } : {}),
        ...(packages.length ? { packages } : {}),
        ...(remotes.length ? { remotes } : {}),
        ...(meta ? { _meta: meta } : {}),
      };
    });
    return { name, versions };
  }
}

export interface GenerateOptions {
  /** Distinguishes independent data sets built from the same model (e.g. publish templates). */
  seedLabel?: string;
}

export function generateServers(count: number, model: Model, options: GenerateOptions = {}): GeneratedServer[] {
  const generator = new Generator(model, options.seedLabel ?? 'wharf-bench', Math.max(40, Math.round(count / 4)));
  const servers: GeneratedServer[] = [];
  for (let i = 0; i < count; i++) servers.push(generator.server(i));
  return servers;
}

/** Writes every version of every server as one JSON array (the input of `wharf import`). Returns the document count. */
export function writeServersFile(file: string, servers: readonly GeneratedServer[]): number {
  const fd = openSync(file, 'w');
  let documents = 0;
  try {
    writeSync(fd, '[\n');
    for (const server of servers) {
      for (const doc of server.versions) {
        writeSync(fd, (documents === 0 ? '' : ',\n') + JSON.stringify(doc));
        documents++;
      }
    }
    writeSync(fd, '\n]\n');
  } finally {
    closeSync(fd);
  }
  return documents;
}

/** Checks the Wharf contract on every document (the rules the bench relies on); returns a list of problems. */
export function checkContract(servers: readonly GeneratedServer[]): string[] {
  const problems: string[] = [];
  const remoteOwner = new Map<string, string>();
  const names = new Set<string>();
  for (const server of servers) {
    if (names.has(server.name)) problems.push(`duplicate name ${server.name}`);
    names.add(server.name);
    const [namespace = '', part = '', extra] = server.name.split('/');
    if (extra !== undefined || !NAMESPACE_PATTERN.test(namespace) || !NAME_PART_PATTERN.test(part)) {
      problems.push(`bad name ${server.name}`);
    }
    const versions = new Set<string>();
    for (const doc of server.versions) {
      if (versions.has(doc.version)) problems.push(`duplicate version ${server.name}@${doc.version}`);
      versions.add(doc.version);
      if (doc.description.length < 1 || doc.description.length > 100) {
        problems.push(`description length ${doc.description.length} in ${server.name}`);
      }
      for (const remote of doc.remotes ?? []) {
        if (!remote.url.startsWith('https://')) problems.push(`non-https remote ${remote.url}`);
        const owner = remoteOwner.get(remote.url);
        if (owner !== undefined && owner !== server.name) problems.push(`remote ${remote.url} shared by ${owner}`);
        remoteOwner.set(remote.url, server.name);
      }
    }
  }
  return problems;
}

export function summarise(servers: readonly GeneratedServer[]): Record<string, number> {
  const stats: Record<string, number> = { servers: servers.length, documents: 0 };
  const bump = (key: string, by = 1): void => {
    stats[key] = (stats[key] ?? 0) + by;
  };
  for (const server of servers) {
    const latest = server.versions[server.versions.length - 1];
    bump('documents', server.versions.length);
    if (!latest) continue;
    if (server.versions.some((doc) => doc.version.includes('-'))) bump('withPrerelease');
    if (!/^\d+\.\d+\.\d+/.test(latest.version)) bump('nonSemverLatest');
    if (latest.remotes?.length) bump('withRemotes');
    if (latest.packages?.length) bump('withPackages');
    if (!latest.remotes?.length && !latest.packages?.length) bump('withNeither');
    for (const pkg of latest.packages ?? []) bump(`pkg:${pkg.registryType}`);
  }
  return stats;
}

// ---------------------------------------------------------------------------------------------------------------
// CLI

async function validateAgainstOfficialSchema(servers: readonly GeneratedServer[]): Promise<void> {
  const { existsSync, readFileSync } = await import('node:fs');
  const { SCHEMA_FILE } = await import('./model.js');
  if (!existsSync(SCHEMA_FILE)) {
    console.log(`schema check skipped: ${SCHEMA_FILE} is absent (no ../shared/)`);
    return;
  }
  const { Ajv } = await import('ajv');
  // ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
  const formats = await import('ajv-formats');
  const addFormats = formats.default as unknown as typeof formats.default.default;
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  let checked = 0;
  let failures = 0;
  for (const server of servers) {
    for (const doc of server.versions) {
      checked++;
      const label = `${doc.name}@${doc.version}`;
      if (!validate(doc)) {
        failures++;
        if (failures <= 5) console.log(`schema: ${label}: ${ajv.errorsText(validate.errors)}`);
      }
    }
  }
  console.log(`schema check: ${checked - failures}/${checked} documents valid against ${SCHEMA_FILE}`);
  if (failures > 0) process.exitCode = 1;
}

async function main(argv: string[]): Promise<void> {
  let count = 1000;
  let out: string | undefined;
  let validate = false;
  let builtin = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--servers') count = Number(argv[++i]);
    else if (arg === '--out') out = argv[++i];
    else if (arg === '--validate') validate = true;
    else if (arg === '--builtin') builtin = true;
    else
      throw new Error(
        `unknown argument ${arg}; usage: generate.ts --servers N [--out file.json] [--validate] [--builtin]`,
      );
  }
  if (!Number.isInteger(count) || count < 1) throw new Error('--servers must be a positive integer');
  const model = builtin ? loadModel('/nonexistent') : loadModel();
  const started = performance.now();
  const servers = generateServers(count, model);
  const elapsed = performance.now() - started;
  console.log(`model: ${model.source} (${model.fingerprint}), generator v${GENERATOR_VERSION}`);
  console.log(`generated in ${elapsed.toFixed(0)} ms:`, summarise(servers));
  const problems = checkContract(servers);
  console.log(`contract check: ${problems.length} problem(s)`);
  for (const problem of problems.slice(0, 10)) console.log(`  ${problem}`);
  if (problems.length > 0) process.exitCode = 1;
  if (validate) await validateAgainstOfficialSchema(servers);
  if (out) console.log(`wrote ${writeServersFile(out, servers)} documents to ${out}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
