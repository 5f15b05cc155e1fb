import { Command, CommanderError } from 'commander';
import {
  DEFAULT_REGISTRY_URL,
  WharfApiError,
  WharfClient,
  WharfNetworkError,
  WharfTimeoutError,
} from '../sdk/index.js';
import { TokenFileError, resolveCredentials } from './credentials.js';
import type { Credentials } from './credentials.js';
import { err, paint } from './output.js';

/**
 * What the client commands share: exit codes, the `--registry`/`--token`/`--json` flags, building a WharfClient
 * from them, and turning failures into a message and an exit code.
 */

/** Documented in docs/cli.md; scripts may rely on them. */
export const EXIT = {
  ok: 0,
  /** The operation failed: an invalid document, a rejected write, a failed check. */
  failure: 1,
  /** Bad usage or configuration: unknown flag, missing argument, malformed setting or token file. */
  usage: 2,
  /** The server, version or object does not exist. */
  notFound: 3,
  /** No token, an expired token, or the registry refused it (401/403). */
  auth: 4,
  /** The registry could not be reached (connection refused, DNS, timeout). */
  unreachable: 5,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** A subcommand whose usage errors exit with 2 (commander's default is 1, which means "failed" here). */
export function cliCommand(name: string): Command {
  return new Command(name).exitOverride((error) => {
    if (error.exitCode === 1) throw new CommanderError(EXIT.usage, error.code, error.message);
    throw error;
  });
}

export interface RegistryFlags {
  registry?: string;
  token?: string;
  timeout?: string;
  json?: boolean;
}

export function withRegistryFlags(command: Command): Command {
  return command
    .option('--registry <url>', `registry base URL (env WHARF_REGISTRY, default ${DEFAULT_REGISTRY_URL})`)
    .option('--token <token>', 'bearer token, a registry JWT or API key (env WHARF_TOKEN, else the token file)')
    .option('--timeout <ms>', 'per-request timeout in milliseconds (default 30000)');
}

export function withJson(command: Command): Command {
  return command.option('--json', 'print machine-readable JSON on stdout');
}

export function registryUrl(flags: RegistryFlags, env: NodeJS.ProcessEnv = process.env): string {
  const url = (flags.registry ?? env.WHARF_REGISTRY ?? DEFAULT_REGISTRY_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/i.test(url)) {
    throw new CliError(`--registry / WHARF_REGISTRY must be an http(s) URL, got "${url}"`, EXIT.usage);
  }
  return url;
}

export interface Connection {
  client: WharfClient;
  registry: string;
  credentials: Credentials | undefined;
}

/**
 * A client for the chosen registry. Reads send a token when one is at hand (private registries need it) but skip an
 * expired one; writes (`requireToken`) fail early with exit 4 rather than sending a request that must fail.
 */
export function connect(flags: RegistryFlags, options: { requireToken?: boolean } = {}): Connection {
  const registry = registryUrl(flags);
  const credentials = resolveCredentials({ flagToken: flags.token, registry });
  if (options.requireToken) {
    if (!credentials) {
      throw new CliError(`no token for ${registry}: run wharf login, or pass --token / set WHARF_TOKEN`, EXIT.auth);
    }
    if (credentials.expired) {
      throw new CliError(
        `the token in ${credentials.file} expired at ${new Date(credentials.expiresAt ?? 0).toISOString()}: run wharf login again`,
        EXIT.auth,
      );
    }
  }
  let timeoutMs: number | undefined;
  if (flags.timeout !== undefined) {
    timeoutMs = Number(flags.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new CliError(`--timeout must be a positive number of milliseconds, got "${flags.timeout}"`, EXIT.usage);
    }
  }
  const token = credentials && !credentials.expired ? credentials.token : undefined;
  const client = new WharfClient({ baseUrl: registry, token, timeoutMs, userAgent: 'wharf-cli' });
  return { client, registry, credentials };
}

/** The exit code and the lines to print for a failure. */
export function describeFailure(error: unknown, registry?: string): { code: number; lines: string[] } {
  if (error instanceof CliError) return { code: error.exitCode, lines: [error.message] };
  if (error instanceof TokenFileError) return { code: EXIT.usage, lines: [error.message] };
  if (error instanceof Error && error.name === 'ConfigError') return { code: EXIT.usage, lines: [error.message] };
  if (error instanceof WharfApiError) {
    const code =
      error.status === 404 ? EXIT.notFound : error.status === 401 || error.status === 403 ? EXIT.auth : EXIT.failure;
    const lines = [`${error.status} ${error.title}: ${error.detail}`];
    for (const e of error.errors) lines.push(`  - ${e.location ? `${e.location}: ` : ''}${e.message}`);
    return { code, lines };
  }
  if (error instanceof WharfNetworkError || error instanceof WharfTimeoutError) {
    const where = registry ? ` Is Wharf running at ${registry}? (set --registry or WHARF_REGISTRY)` : '';
    return { code: EXIT.unreachable, lines: [`${error.message}.${where}`] };
  }
  return { code: EXIT.failure, lines: [error instanceof Error ? error.message : String(error)] };
}

/**
 * Wraps a command action: the action returns an exit code (or nothing for 0), and failures become a message on
 * stderr plus their exit code. It sets process.exitCode instead of exiting, so piped stdout is flushed.
 */
export function run<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      if (code) process.exitCode = code;
    } catch (error) {
      if (error instanceof CommanderError) throw error;
      const flags = args.find((a): a is RegistryFlags => typeof a === 'object' && a !== null && !Array.isArray(a));
      let registry: string | undefined;
      try {
        registry = flags ? registryUrl(flags) : undefined;
      } catch {
        registry = undefined;
      }
      const { code, lines } = describeFailure(error, registry);
      const p = paint(process.stderr);
      err(`${p.red('wharf:')} ${lines[0] ?? ''}`);
      for (const line of lines.slice(1)) err(line);
      process.exitCode = code;
    }
  };
}
