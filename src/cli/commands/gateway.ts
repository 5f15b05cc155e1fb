import type { Command } from 'commander';
import type { AttachUpstreamRequest, UpdateUpstreamRequest, Upstream, VirtualServer } from '../../sdk/index.js';
import { out, paint, printJson, table, truncate } from '../output.js';
import {
  CliError,
  EXIT,
  cliCommand,
  connect,
  describeFailure,
  registryUrl,
  run,
  withJson,
  withRegistryFlags,
} from '../remote.js';
import type { RegistryFlags } from '../remote.js';

/** What the API and this CLI print instead of a value that must not be shown. */
const MASK = '********';

/** A repeatable option; no default, so --help shows none. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

interface ValueFlags extends RegistryFlags {
  variable?: string[];
  variableEnv?: string[];
  header?: string[];
  headerEnv?: string[];
  version?: string;
  remote?: string;
}

interface AttachFlags extends ValueFlags {
  alias?: string;
}

interface VirtualFlags extends RegistryFlags {
  tool?: string[];
  description?: string;
}

/**
 * `wharf gateway upstreams|virtual`: what the gateway federates behind `/mcp` (admin on `*`).
 *
 * Header and URL variable values often are credentials. Whatever is given with --header/--variable (or read with
 * --header-env/--variable-env) is never printed back: not in tables, not in --json, not in error messages. Header
 * values are never printed at all, and the server masks the values it knows to be secret.
 */
export function gatewayCommand(): Command {
  const gateway = cliCommand('gateway')
    .summary('Manage the gateway: upstreams behind /mcp and virtual servers (administrators)')
    .description(
      'Manage the MCP gateway: attach registry servers as upstreams federated behind /mcp, and define virtual ' +
        'servers (named subsets of their tools at /mcp/<name>). Needs admin on * (see docs/gateway.md)',
    );
  gateway.addCommand(upstreamsCommand());
  gateway.addCommand(virtualCommand());
  return gateway;
}

function withValueFlags(command: Command): Command {
  return command
    .option('--version <version>', 'the registry version to use (default: the latest)')
    .option('--remote <index|url>', "which of the server's remotes: its index (0 is the first) or its URL")
    .option('--variable <name=value>', 'a value for a URL variable of the remote, repeatable', collect)
    .option(
      '--variable-env <name=ENV>',
      'a URL variable whose value is read from the environment variable ENV',
      collect,
    )
    .option('--header <name=value>', 'a header sent to the upstream (e.g. Authorization=…), repeatable', collect)
    .option(
      '--header-env <name=ENV>',
      'a header whose value is read from the environment variable ENV, keeping it out of shell history and ps',
      collect,
    );
}

function upstreamsCommand(): Command {
  const upstreams = cliCommand('upstreams').description(
    'Registry servers (with a streamable-http or sse remote) whose tools the gateway serves as <alias>__<tool>',
  );

  upstreams.addCommand(
    withJson(withRegistryFlags(cliCommand('list').description('List upstreams with their connection state'))).action(
      run(async (flags: RegistryFlags) => {
        const { client } = connect(flags, { requireToken: true });
        const found = (await client.listUpstreams()).map((u) => hideValues(u, []));
        if (flags.json) return printJson(found);
        if (found.length === 0) return out('No upstreams: attach one with wharf gateway upstreams attach <server>.');
        const rows = found.map((u) => [
          u.alias,
          u.server,
          u.version,
          u.transport,
          u.status.state,
          String(u.status.toolCount),
          u.url,
        ]);
        out(table(['ALIAS', 'SERVER', 'VERSION', 'TRANSPORT', 'STATE', 'TOOLS', 'URL'], rows));
      }),
    ),
  );

  upstreams.addCommand(
    withJson(
      withRegistryFlags(cliCommand('show').description('Show one upstream').argument('<alias>', 'the upstream alias')),
    ).action(
      run(async (alias: string, flags: RegistryFlags) => {
        const { client } = connect(flags, { requireToken: true });
        const upstream = hideValues(await client.getUpstream(alias), []);
        if (flags.json) return printJson(upstream);
        printUpstream(upstream);
      }),
    ),
  );

  upstreams.addCommand(
    withJson(
      withRegistryFlags(
        withValueFlags(
          cliCommand('attach')
            .description(
              "Attach a registry server's remote as an upstream; its tools appear on /mcp as <alias>__<tool>",
            )
            .argument('<server>', 'registry server name, e.g. io.github.acme/weather')
            .option('--alias <alias>', 'tool prefix, 1–32 of a-z, 0-9 and - (default: from the server name)'),
        ),
      ),
    ).action(
      run(async (server: string, flags: AttachFlags) => {
        const values = valuesFrom(flags);
        return withoutEcho(values.given, flags, async () => {
          const request: AttachUpstreamRequest = { server, ...values.request };
          if (flags.alias !== undefined) request.alias = flags.alias;
          const { client } = connect(flags, { requireToken: true });
          const attached = hideValues(await client.attachUpstream(request), values.given);
          if (flags.json) return printJson(attached);
          out(paint().green(`✓ Attached ${attached.server} ${attached.version} as ${attached.alias}`));
          printUpstream(attached);
          out(paint().dim(`Its tools appear on /mcp as ${attached.alias}__<tool> once it connects.`));
        });
      }),
    ),
  );

  upstreams.addCommand(
    withJson(
      withRegistryFlags(
        withValueFlags(
          cliCommand('update')
            .description('Change the version, remote or values of an upstream; values not given are kept')
            .argument('<alias>', 'the upstream alias'),
        ),
      ),
    ).action(
      run(async (alias: string, flags: ValueFlags) => {
        const values = valuesFrom(flags);
        if (Object.keys(values.request).length === 0) {
          throw new CliError(
            'nothing to change: give --version, --remote, --variable(-env) or --header(-env)',
            EXIT.usage,
          );
        }
        return withoutEcho(values.given, flags, async () => {
          const { client } = connect(flags, { requireToken: true });
          const updated = hideValues(await client.updateUpstream(alias, values.request), values.given);
          if (flags.json) return printJson(updated);
          out(paint().green(`✓ Updated ${updated.alias}`));
          printUpstream(updated);
        });
      }),
    ),
  );

  upstreams.addCommand(
    withRegistryFlags(
      cliCommand('detach')
        .description('Detach an upstream: its tools leave /mcp and every virtual server')
        .argument('<alias>', 'the upstream alias'),
    ).action(
      run(async (alias: string, flags: RegistryFlags) => {
        const { client } = connect(flags, { requireToken: true });
        await client.detachUpstream(alias);
        out(paint().green(`✓ Detached ${alias}`));
      }),
    ),
  );
  return upstreams;
}

function virtualCommand(): Command {
  const virtual = cliCommand('virtual').description(
    'Virtual servers: named subsets of the federated tools, each served at /mcp/<name>',
  );
  const toolOption = (command: Command, what: string) =>
    command.option(
      '--tool <tool>',
      `${what}: <alias>__<tool>, or <alias>__* for every tool of an upstream; repeatable`,
      collect,
    );

  virtual.addCommand(
    withJson(withRegistryFlags(cliCommand('list').description('List virtual servers'))).action(
      run(async (flags: RegistryFlags) => {
        const { client } = connect(flags, { requireToken: true });
        const found = await client.listVirtualServers();
        if (flags.json) return printJson(found);
        if (found.length === 0) return out('No virtual servers: create one with wharf gateway virtual create.');
        const rows = found.map((v) => [v.name, v.path, v.tools.join(', '), truncate(v.description, 50)]);
        out(table(['NAME', 'PATH', 'TOOLS', 'DESCRIPTION'], rows));
      }),
    ),
  );

  virtual.addCommand(
    withJson(
      withRegistryFlags(
        cliCommand('show').description('Show one virtual server').argument('<name>', 'the virtual server name'),
      ),
    ).action(
      run(async (name: string, flags: RegistryFlags) => {
        const { client } = connect(flags, { requireToken: true });
        const found = await client.getVirtualServer(name);
        if (flags.json) return printJson(found);
        printVirtual(found);
      }),
    ),
  );

  virtual.addCommand(
    withJson(
      withRegistryFlags(
        toolOption(
          cliCommand('create')
            .description('Create a virtual server at /mcp/<name> offering the given tools')
            .argument('<name>', '1–32 of a-z, 0-9 and -'),
          'a tool it offers (at least one)',
        ).option('--description <text>', 'what it is for'),
      ),
    ).action(
      run(async (name: string, flags: VirtualFlags) => {
        const tools = flags.tool ?? [];
        if (tools.length === 0) {
          throw new CliError('give at least one --tool <alias>__<tool> (or <alias>__*)', EXIT.usage);
        }
        const { client } = connect(flags, { requireToken: true });
        const created = await client.createVirtualServer({
          name,
          tools,
          ...(flags.description !== undefined && { description: flags.description }),
        });
        if (flags.json) return printJson(created);
        out(paint().green(`✓ Created virtual server ${created.name}`));
        printVirtual(created);
      }),
    ),
  );

  virtual.addCommand(
    withJson(
      withRegistryFlags(
        toolOption(
          cliCommand('update')
            .description('Change the tools or description of a virtual server')
            .argument('<name>', 'the virtual server name'),
          'the new tool list (replaces the old one)',
        ).option('--description <text>', 'the new description'),
      ),
    ).action(
      run(async (name: string, flags: VirtualFlags) => {
        const tools = flags.tool ?? [];
        if (tools.length === 0 && flags.description === undefined) {
          throw new CliError('nothing to change: give --tool (the new list) or --description', EXIT.usage);
        }
        const { client } = connect(flags, { requireToken: true });
        const updated = await client.updateVirtualServer(name, {
          ...(tools.length > 0 && { tools }),
          ...(flags.description !== undefined && { description: flags.description }),
        });
        if (flags.json) return printJson(updated);
        out(paint().green(`✓ Updated virtual server ${updated.name}`));
        printVirtual(updated);
      }),
    ),
  );

  virtual.addCommand(
    withRegistryFlags(
      cliCommand('delete').description('Delete a virtual server').argument('<name>', 'the virtual server name'),
    ).action(
      run(async (name: string, flags: RegistryFlags) => {
        const { client } = connect(flags, { requireToken: true });
        await client.deleteVirtualServer(name);
        out(paint().green(`✓ Deleted virtual server ${name}`));
      }),
    ),
  );
  return virtual;
}

/** The request values from the flags, and every value given (to keep out of the output). */
function valuesFrom(flags: ValueFlags): { request: UpdateUpstreamRequest; given: string[] } {
  const request: UpdateUpstreamRequest = {};
  const given: string[] = [];
  const variables = pairs(flags.variable, flags.variableEnv, '--variable', given);
  const headers = pairs(flags.header, flags.headerEnv, '--header', given);
  if (variables) request.variables = variables;
  if (headers) request.headers = headers;
  if (flags.version !== undefined) request.version = flags.version;
  if (flags.remote !== undefined) request.remote = /^\d+$/.test(flags.remote) ? Number(flags.remote) : flags.remote;
  return { request, given };
}

/**
 * `name=value` pairs, and `name=ENV` pairs read from the environment. Error messages name the flag and the name,
 * never the value: a mistyped `--header "Bearer …"` must not end up on the terminal or in a CI log.
 */
function pairs(
  direct: string[] = [],
  fromEnv: string[] = [],
  flag: string,
  given: string[],
): Record<string, string> | undefined {
  const result: Record<string, string> = {};
  const split = (raw: string, which: string) => {
    const eq = raw.indexOf('=');
    const name = eq === -1 ? '' : raw.slice(0, eq).trim();
    if (eq === -1 || name === '' || /\s/.test(name)) {
      throw new CliError(`${which} must be given as name=value (the argument given is not shown)`, EXIT.usage);
    }
    return { name, rest: raw.slice(eq + 1) };
  };
  for (const raw of direct) {
    const { name, rest } = split(raw, flag);
    result[name] = rest;
    given.push(rest);
  }
  for (const raw of fromEnv) {
    const { name, rest } = split(raw, `${flag}-env`);
    const value = process.env[rest];
    if (value === undefined) {
      throw new CliError(`${flag}-env ${name}=${rest}: the environment variable ${rest} is not set`, EXIT.usage);
    }
    result[name] = value;
    given.push(value);
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

/** The upstream with every header value, and every value given on the command line, replaced by the mask. */
function hideValues(upstream: Upstream, given: readonly string[]): Upstream {
  const secrets = given.filter((v) => v !== '' && v !== MASK);
  const scrub = (text: string) => {
    let result = text;
    for (const value of secrets) {
      result = result.split(value).join(MASK).split(encodeURIComponent(value)).join(MASK);
    }
    return result;
  };
  return {
    ...upstream,
    url: scrub(upstream.url),
    variables: Object.fromEntries(
      Object.entries(upstream.variables).map(([k, v]) => [k, secrets.includes(v) ? MASK : scrub(v)]),
    ),
    headers: Object.fromEntries(Object.keys(upstream.headers).map((k) => [k, MASK])),
    status: { ...upstream.status, lastError: upstream.status.lastError && scrub(upstream.status.lastError) },
  };
}

/** Runs `fn`, and if it fails, reports the failure with the given values scrubbed from its text. */
async function withoutEcho(given: readonly string[], flags: RegistryFlags, fn: () => Promise<void>): Promise<number> {
  try {
    await fn();
    return EXIT.ok;
  } catch (error) {
    let registry: string | undefined;
    try {
      registry = registryUrl(flags);
    } catch {
      registry = undefined;
    }
    const { code, lines } = describeFailure(error, registry);
    const secrets = given.filter((v) => v !== '');
    const scrubbed = lines.map((line) => secrets.reduce((text, value) => text.split(value).join(MASK), line));
    throw new CliError(scrubbed.join('\n'), code);
  }
}

function field(label: string, value: string | undefined): void {
  if (value) out(`${paint().dim(label.padEnd(12))}${value}`);
}

function printUpstream(u: Upstream): void {
  const p = paint();
  out(p.bold(u.alias));
  field('server', `${u.server} ${u.version} (remote ${u.remote}, ${u.transport})`);
  field('url', u.url);
  const variables = Object.entries(u.variables).map(([k, v]) => `${k}=${v}`);
  field('variables', variables.join(', '));
  // Header values are never printed, only which headers are set.
  field('headers', Object.keys(u.headers).join(', '));
  const s = u.status;
  field('state', `${s.state}, ${s.toolCount} tool(s), breaker ${s.breaker}${s.lastError ? ` — ${s.lastError}` : ''}`);
  field('updated', u.updatedAt);
}

function printVirtual(v: VirtualServer): void {
  const p = paint();
  out(p.bold(v.name));
  field('path', v.path);
  field('description', v.description);
  field('tools', v.tools.join(', '));
  field('updated', v.updatedAt);
}
