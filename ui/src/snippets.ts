import type { Argument, Input, KeyValueInput, Package, ServerJson, Transport } from './types.js';

/**
 * Install snippets for the common MCP clients, built from a server.json and the values the user
 * typed for its variables, headers, arguments and environment. Unfilled inputs become visible
 * placeholders such as `<tenant_id>`, never silently empty strings.
 */
export type ClientId = 'vscode' | 'claude-desktop' | 'cursor' | 'claude-code' | 'mcp-json';

export const CLIENTS: { id: ClientId; label: string; where: string }[] = [
  { id: 'vscode', label: 'VS Code', where: '.vscode/mcp.json' },
  { id: 'claude-desktop', label: 'Claude Desktop', where: 'claude_desktop_config.json' },
  { id: 'cursor', label: 'Cursor', where: '~/.cursor/mcp.json' },
  { id: 'claude-code', label: 'Claude Code', where: 'terminal' },
  { id: 'mcp-json', label: 'mcp.json', where: 'mcp.json' },
];

export type Connection =
  | { kind: 'http'; transport: 'http' | 'sse'; url: string; headers: Record<string, string> }
  | { kind: 'stdio'; command: string; args: string[]; env: Record<string, string> }
  | { kind: 'manual'; note: string };

/** What the user can install: every remote and every package of the server. */
export interface InstallTarget {
  id: string;
  label: string;
  inputs: NamedInput[];
  connect(values: Values): Connection;
}

export interface NamedInput extends Input {
  /** Key in the values map. */
  key: string;
  label: string;
}

export type Values = Record<string, string>;

const placeholder = (name: string) => `<${name}>`;

function fill(template: string, variables: Record<string, Input> | undefined, values: Values, scope: string): string {
  return template.replace(/\{([^{}]+)\}/g, (whole, name: string) => {
    const variable = variables?.[name];
    if (!variable) return whole;
    return values[`${scope}.${name}`] || variable.value || variable.default || placeholder(name);
  });
}

function variableInputs(variables: Record<string, Input> | undefined, scope: string): NamedInput[] {
  return Object.entries(variables ?? {}).map(([name, input]) => ({ ...input, key: `${scope}.${name}`, label: name }));
}

function remoteTarget(remote: Transport, index: number): InstallTarget {
  const scope = `remote${index}`;
  const headers = remote.headers ?? [];
  return {
    id: scope,
    label: `${remote.type} · ${remote.url ?? ''}`,
    inputs: [
      ...variableInputs(remote.variables, scope),
      ...headers.map((h) => ({ ...h, key: `${scope}.header.${h.name}`, label: `${h.name} header` })),
    ],
    connect(values) {
      const resolved: Record<string, string> = {};
      for (const header of headers) {
        const given = values[`${scope}.header.${header.name}`];
        const value = given || (header.value ? fill(header.value, header.variables, values, scope) : header.default);
        if (value || header.isRequired) resolved[header.name] = value || placeholder(header.name);
      }
      return {
        kind: 'http',
        transport: remote.type === 'sse' ? 'sse' : 'http',
        url: fill(remote.url ?? '', remote.variables, values, scope),
        headers: resolved,
      };
    },
  };
}

function argumentValues(args: Argument[] | undefined, values: Values, scope: string): string[] {
  const out: string[] = [];
  (args ?? []).forEach((arg, i) => {
    const key = `${scope}.arg${i}`;
    const raw = values[key] || arg.value || arg.default;
    const value = raw ? fill(raw, arg.variables, values, key) : undefined;
    if (arg.type === 'named') {
      if (!arg.name) return;
      if (value) out.push(arg.name, value);
      else if (arg.format === 'boolean' || !arg.isRequired) {
        if (arg.isRequired) out.push(arg.name);
      } else out.push(arg.name, placeholder(arg.name.replace(/^-+/, '')));
    } else if (value) out.push(value);
    else if (arg.isRequired) out.push(placeholder(arg.valueHint ?? `arg${i}`));
  });
  return out;
}

function argumentInputs(args: Argument[] | undefined, scope: string): NamedInput[] {
  return (args ?? []).flatMap((arg, i) => {
    const key = `${scope}.arg${i}`;
    if (arg.value && !arg.variables) return [];
    const own = arg.value ? [] : [{ ...arg, key, label: arg.name ?? arg.valueHint ?? `argument ${i + 1}` }];
    return [...own, ...variableInputs(arg.variables, key)];
  });
}

function versioned(pkg: Package, separator: string): string {
  return pkg.version ? `${pkg.identifier}${separator}${pkg.version}` : pkg.identifier;
}

function packageCommand(pkg: Package, runtimeArgs: string[], packageArgs: string[], envNames: string[]) {
  switch (pkg.registryType) {
    case 'npm':
      return { command: pkg.runtimeHint ?? 'npx', args: [...runtimeArgs, '-y', versioned(pkg, '@'), ...packageArgs] };
    case 'pypi':
      return { command: pkg.runtimeHint ?? 'uvx', args: [...runtimeArgs, versioned(pkg, '=='), ...packageArgs] };
    case 'nuget':
      return {
        command: pkg.runtimeHint ?? 'dnx',
        args: [...runtimeArgs, versioned(pkg, '@'), '--yes', ...(packageArgs.length ? ['--', ...packageArgs] : [])],
      };
    case 'oci': {
      const image = pkg.version && !/[:@][^/]*$/.test(pkg.identifier) ? versioned(pkg, ':') : pkg.identifier;
      const env = envNames.flatMap((name) => ['-e', name]);
      return {
        command: pkg.runtimeHint ?? 'docker',
        args: ['run', '-i', '--rm', ...env, ...runtimeArgs, image, ...packageArgs],
      };
    }
    default:
      return { command: pkg.runtimeHint ?? pkg.identifier, args: [...runtimeArgs, ...packageArgs] };
  }
}

function packageTarget(pkg: Package, index: number): InstallTarget {
  const scope = `package${index}`;
  const env = pkg.environmentVariables ?? [];
  const envInputs: NamedInput[] = env.flatMap((e: KeyValueInput) =>
    e.value && !e.variables ? [] : [{ ...e, key: `${scope}.env.${e.name}`, label: e.name }],
  );
  return {
    id: scope,
    label: `${pkg.registryType} · ${versioned(pkg, pkg.registryType === 'pypi' ? '==' : '@')}`,
    inputs: [
      ...argumentInputs(pkg.runtimeArguments, `${scope}.runtime`),
      ...argumentInputs(pkg.packageArguments, `${scope}.package`),
      ...envInputs,
      ...variableInputs(pkg.transport.variables, scope),
    ],
    connect(values) {
      if (pkg.registryType === 'mcpb') {
        return {
          kind: 'manual',
          note: `Download the MCP bundle from ${pkg.identifier} and open it with a client that installs .mcpb bundles.`,
        };
      }
      const envValues: Record<string, string> = {};
      for (const e of env) {
        const given = values[`${scope}.env.${e.name}`];
        const value = given || (e.value ? fill(e.value, e.variables, values, scope) : e.default);
        if (value || e.isRequired) envValues[e.name] = value || placeholder(e.name);
      }
      const { command, args } = packageCommand(
        pkg,
        argumentValues(pkg.runtimeArguments, values, `${scope}.runtime`),
        argumentValues(pkg.packageArguments, values, `${scope}.package`),
        Object.keys(envValues),
      );
      if (pkg.transport.type === 'stdio' || !pkg.transport.url) return { kind: 'stdio', command, args, env: envValues };
      return {
        kind: 'manual',
        note: `Start it with: ${shellLine([command, ...args], envValues)}\nthen connect your client to ${fill(pkg.transport.url, pkg.transport.variables, values, scope)}`,
      };
    },
  };
}

export function installTargets(server: ServerJson): InstallTarget[] {
  return [...(server.remotes ?? []).map(remoteTarget), ...(server.packages ?? []).map(packageTarget)];
}

/** The key a client config files the server under: the name's last segment, tamed. */
export function configKey(name: string): string {
  const last = name.split('/').pop() ?? name;
  return last.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'server';
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

function quote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function shellLine(words: string[], env: Record<string, string> = {}): string {
  const prefix = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`);
  return [...prefix, ...words.map(quote)].join(' ');
}

function stdioEntry(c: { command: string; args: string[]; env: Record<string, string> }) {
  return Object.keys(c.env).length
    ? { command: c.command, args: c.args, env: c.env }
    : { command: c.command, args: c.args };
}

function withHeaders<T extends object>(entry: T, headers: Record<string, string>) {
  return Object.keys(headers).length ? { ...entry, headers } : entry;
}

export interface Snippet {
  language: 'json' | 'shell' | 'text';
  text: string;
}

export function snippetFor(client: ClientId, name: string, connection: Connection): Snippet {
  const key = configKey(name);
  if (connection.kind === 'manual') return { language: 'text', text: connection.note };
  if (connection.kind === 'stdio') {
    switch (client) {
      case 'vscode':
        return { language: 'json', text: json({ servers: { [key]: { type: 'stdio', ...stdioEntry(connection) } } }) };
      case 'claude-code': {
        const env = Object.entries(connection.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
        return {
          language: 'shell',
          text: shellLine(['claude', 'mcp', 'add', key, ...env, '--', connection.command, ...connection.args]),
        };
      }
      default:
        return { language: 'json', text: json({ mcpServers: { [key]: stdioEntry(connection) } }) };
    }
  }
  const { url, headers, transport } = connection;
  switch (client) {
    case 'vscode':
      return { language: 'json', text: json({ servers: { [key]: withHeaders({ type: transport, url }, headers) } }) };
    case 'cursor':
      return { language: 'json', text: json({ mcpServers: { [key]: withHeaders({ url }, headers) } }) };
    case 'claude-desktop': {
      // Claude Desktop's config file starts local processes; mcp-remote bridges them to a remote server.
      const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['--header', `${k}: ${v}`]);
      return {
        language: 'json',
        text: json({ mcpServers: { [key]: { command: 'npx', args: ['-y', 'mcp-remote', url, ...headerArgs] } } }),
      };
    }
    case 'claude-code': {
      const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['--header', `${k}: ${v}`]);
      return {
        language: 'shell',
        text: shellLine(['claude', 'mcp', 'add', '--transport', transport, key, url, ...headerArgs]),
      };
    }
    case 'mcp-json':
      return {
        language: 'json',
        text: json({ mcpServers: { [key]: withHeaders({ type: transport, url }, headers) } }),
      };
  }
}
