/**
 * The gateway's rules for attaching registry servers as upstreams: which remote, what URL, which headers, which
 * values are secret (sealed at rest, masked in every answer, opened only to connect).
 */
import type { SecretBox } from '../platform/crypto/secret-box.js';
import { WharfError, notFound, unprocessable } from '../platform/errors.js';
import type { ErrorDetail } from '../platform/errors.js';
import type { RegistryService } from '../registry/service.js';
import { ALIAS, BUILT_IN_ALIAS } from './names.js';
import type { GatewayStore, UpstreamRow } from './store.js';
import type { UpstreamTarget, UpstreamTransport } from './upstream.js';

export const MASK = '********';
const SECRETS_PURPOSE = 'gateway_upstreams.secrets';

export interface AttachUpstream {
  server: string;
  version?: string | undefined;
  /** Index into the server's `remotes`, or the remote's URL (template) itself. Default: the first remote. */
  remote?: number | string | undefined;
  variables?: Record<string, string> | undefined;
  headers?: Record<string, string> | undefined;
  alias?: string | undefined;
}

export type UpdateUpstream = Omit<AttachUpstream, 'server' | 'alias'>;

/** An upstream as the API shows it: secrets masked. */
export interface UpstreamView {
  alias: string;
  server: string;
  version: string;
  remote: number;
  transport: UpstreamTransport;
  url: string;
  variables: Record<string, string>;
  headers: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

interface RemoteInput {
  name?: string;
  value?: string;
  default?: string;
  isRequired?: boolean;
  isSecret?: boolean;
  choices?: string[];
}

interface Remote {
  type: string;
  url: string;
  headers?: RemoteInput[];
  variables?: Record<string, RemoteInput>;
}

interface Values {
  variables: Record<string, string>;
  headers: Record<string, string>;
}

/**
 * Load-balancing hook, "healthy registered instances": the URLs at which an upstream's server can be reached, best
 * first; empty when it cannot be reached at all (every registered instance is critical): the upstream is then left
 * out, so its tools are withdrawn as for any dead upstream. Wharf passes liveness's (src/liveness/routing.ts).
 */
export type UpstreamEndpoints = (upstream: {
  server: string;
  version: string;
  url: string;
  transport?: string;
}) => readonly string[];

/** The remote's own URL (no registered instances). */
export const remoteUrlOnly: UpstreamEndpoints = ({ url }) => [url];

export class GatewayService {
  private readonly listeners: (() => void)[] = [];
  private readonly endpointListeners: (() => void)[] = [];

  constructor(
    private readonly store: GatewayStore,
    private readonly registry: RegistryService,
    private readonly box: SecretBox,
    private readonly endpoints: UpstreamEndpoints = remoteUrlOnly,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Called after every change of the upstream set (the federation resyncs). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Called when an upstream may be reached elsewhere now (registered instances came, went or changed state). */
  onEndpointsChange(listener: () => void): void {
    this.endpointListeners.push(listener);
  }

  endpointsChanged(): void {
    for (const listener of this.endpointListeners) listener();
  }

  async list(): Promise<UpstreamView[]> {
    return (await this.store.listUpstreams()).map((row) => this.view(row));
  }

  async get(alias: string): Promise<UpstreamView> {
    return this.view(await this.row(alias));
  }

  /** Every upstream with its secrets opened, for connecting; never serialised. */
  async targets(): Promise<UpstreamTarget[]> {
    return (await this.store.listUpstreams()).flatMap((row) => {
      const values = this.values(row);
      const url = fill(row.url_template, values.variables);
      // One pooled connection per upstream, at the first URL (the hook rotates which instance that is, see
      // src/liveness/routing.ts); stateless calls are spread over all of them.
      const urls = this.endpoints({ server: row.server_name, version: row.version, url, transport: row.transport });
      const [first] = urls;
      if (first === undefined) return [];
      return [
        {
          alias: row.alias,
          transport: row.transport as UpstreamTransport,
          url: first,
          urls,
          headers: values.headers,
        },
      ];
    });
  }

  async attach(request: AttachUpstream): Promise<UpstreamView> {
    const alias = request.alias ?? defaultAlias(request.server);
    checkAlias(alias);
    const resolved = await this.resolve(request.server, request.version, request.remote, {
      variables: request.variables ?? {},
      headers: request.headers ?? {},
    });
    const at = this.now().toISOString();
    const row: UpstreamRow = { alias, ...resolved, created_at: at, updated_at: at };
    if (!(await this.store.insertUpstream(row))) {
      throw new WharfError('conflict', `An upstream with alias "${alias}" already exists: choose another alias`);
    }
    this.changed();
    return this.view(row);
  }

  async update(alias: string, request: UpdateUpstream): Promise<UpstreamView> {
    const current = await this.row(alias);
    const previous = this.values(current);
    // Values not sent are kept, secrets included (the client only ever saw them masked).
    const resolved = await this.resolve(
      current.server_name,
      request.version ?? current.version,
      request.remote ?? current.remote_index,
      {
        variables: { ...previous.variables, ...request.variables },
        headers: { ...previous.headers, ...request.headers },
      },
    );
    const row: UpstreamRow = { ...current, ...resolved, updated_at: this.now().toISOString() };
    if (!(await this.store.updateUpstream(row))) throw notFound(`No upstream with alias "${alias}"`);
    this.changed();
    return this.view(row);
  }

  async detach(alias: string): Promise<void> {
    if (!(await this.store.deleteUpstream(alias))) throw notFound(`No upstream with alias "${alias}"`);
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private async row(alias: string): Promise<UpstreamRow> {
    const row = await this.store.getUpstream(alias);
    if (!row) throw notFound(`No upstream with alias "${alias}": list them with GET /api/v1/gateway/upstreams`);
    return row;
  }

  private async resolve(
    server: string,
    version: string | undefined,
    remoteChoice: number | string | undefined,
    given: Values,
  ): Promise<Omit<UpstreamRow, 'alias' | 'created_at' | 'updated_at'>> {
    const found = await this.registry.get(server, version ?? 'latest', false).catch((error: unknown) => {
      if (error instanceof WharfError && error.status === 404) {
        throw unprocessable(`Server "${server}"${version ? ` version ${version}` : ''} is not in the registry`);
      }
      throw error;
    });
    const document = JSON.parse(found.document) as { remotes?: Remote[] };
    const remotes = document.remotes ?? [];
    if (remotes.length === 0) {
      throw unprocessable(`Server "${server}" ${found.version} has no remotes: only remote servers can be upstreams`);
    }
    const index =
      remoteChoice === undefined
        ? 0
        : typeof remoteChoice === 'number'
          ? remoteChoice
          : remotes.findIndex((r) => r.url === remoteChoice);
    const remote = remotes[index];
    if (!remote) {
      throw unprocessable(
        `Server "${server}" ${found.version} has no remote ${JSON.stringify(remoteChoice)}: ` +
          `give an index 0–${remotes.length - 1} or one of the URLs ${remotes.map((r) => r.url).join(', ')}`,
      );
    }
    if (remote.type !== 'streamable-http' && remote.type !== 'sse') {
      throw unprocessable(`Remote ${index} has type "${remote.type}": only streamable-http and sse are supported`);
    }
    const problems: ErrorDetail[] = [];
    const plain: Values = { variables: {}, headers: {} };
    const secret: Values = { variables: {}, headers: {} };
    for (const [name, input] of Object.entries(remote.variables ?? {})) {
      const value = given.variables[name] ?? input.value ?? input.default;
      if (value === undefined) {
        if (input.isRequired || remote.url.includes(`{${name}}`)) {
          problems.push({ message: `URL variable "${name}" is required`, location: `body.variables.${name}` });
        }
        continue;
      }
      if (input.choices && input.choices.length > 0 && !input.choices.includes(value)) {
        problems.push({
          message: `URL variable "${name}" must be one of ${input.choices.join(', ')}`,
          location: `body.variables.${name}`,
        });
      }
      (input.isSecret ? secret : plain).variables[name] = value;
    }
    for (const name of Object.keys(given.variables)) {
      if (!(name in (remote.variables ?? {}))) {
        problems.push({ message: `The remote declares no URL variable "${name}"`, location: `body.variables.${name}` });
      }
    }
    const declared = new Map((remote.headers ?? []).map((h) => [(h.name ?? '').toLowerCase(), h]));
    for (const [key, input] of declared) {
      const value = findHeader(given.headers, key) ?? input.value ?? input.default;
      if (value === undefined) {
        if (input.isRequired)
          problems.push({ message: `Header "${input.name}" is required`, location: `body.headers` });
        continue;
      }
      (input.isSecret ? secret : plain).headers[input.name ?? key] = value;
    }
    for (const [name, value] of Object.entries(given.headers)) {
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name) || /[\r\n]/.test(value)) {
        problems.push({ message: `Header "${name}" is not a valid HTTP header`, location: 'body.headers' });
      } else if (!declared.has(name.toLowerCase())) {
        // Undeclared headers are usually credentials the server.json does not describe: treat them as secret.
        secret.headers[name] = value;
      }
    }
    if (problems.length > 0) throw unprocessable('The remote cannot be configured with these values', problems);
    const hasSecrets = Object.keys(secret.variables).length + Object.keys(secret.headers).length > 0;
    return {
      server_name: found.name,
      version: found.version,
      remote_index: index,
      transport: remote.type,
      url_template: remote.url,
      variables: JSON.stringify(plain.variables),
      headers: JSON.stringify(plain.headers),
      secrets: hasSecrets ? this.box.seal(JSON.stringify(secret), SECRETS_PURPOSE) : null,
    };
  }

  private secretsOf(row: UpstreamRow): Values {
    if (row.secrets === null) return { variables: {}, headers: {} };
    return JSON.parse(this.box.open(row.secrets, SECRETS_PURPOSE)) as Values;
  }

  private values(row: UpstreamRow): Values {
    const secret = this.secretsOf(row);
    return {
      variables: { ...(JSON.parse(row.variables) as Record<string, string>), ...secret.variables },
      headers: { ...(JSON.parse(row.headers) as Record<string, string>), ...secret.headers },
    };
  }

  private view(row: UpstreamRow): UpstreamView {
    const secret = this.secretsOf(row);
    const mask = (record: Record<string, string>) => Object.fromEntries(Object.keys(record).map((k) => [k, MASK]));
    const variables = { ...(JSON.parse(row.variables) as Record<string, string>), ...mask(secret.variables) };
    return {
      alias: row.alias,
      server: row.server_name,
      version: row.version,
      remote: row.remote_index,
      transport: row.transport as UpstreamTransport,
      url: fill(row.url_template, variables),
      variables,
      headers: { ...(JSON.parse(row.headers) as Record<string, string>), ...mask(secret.headers) },
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}

function findHeader(headers: Record<string, string>, lowerName: string): string | undefined {
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() === lowerName) return value;
  return undefined;
}

function fill(template: string, variables: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const value = variables[name];
    return value === undefined ? whole : value === MASK ? MASK : encodeURIComponent(value);
  });
}

export function checkAlias(alias: string): void {
  if (!ALIAS.test(alias)) {
    throw unprocessable('Invalid alias', [
      {
        message: 'an alias is 1–32 characters of a-z, 0-9 and "-", starting and ending with a letter or digit',
        location: 'body.alias',
        value: alias,
      },
    ]);
  }
  if (alias === BUILT_IN_ALIAS) {
    throw unprocessable(`The alias "${BUILT_IN_ALIAS}" is reserved for the built-in registry tools`, [
      { message: 'choose another alias', location: 'body.alias', value: alias },
    ]);
  }
}

/** `io.github.acme/weather-api` → `weather-api`. */
export function defaultAlias(server: string): string {
  const last = server.split('/').pop() ?? server;
  const cleaned = last
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return cleaned === '' ? 'upstream' : cleaned;
}
