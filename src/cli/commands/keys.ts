import type { Command } from 'commander';
import type { ApiKey, CreateKeyRequest, CreatedApiKey, Permission } from '../../sdk/index.js';
import { out, paint, printJson, table } from '../output.js';
import { CliError, EXIT, cliCommand, connect, run, withJson, withRegistryFlags } from '../remote.js';
import type { RegistryFlags } from '../remote.js';
import { parseTime } from './audit.js';

/**
 * The actions `POST /api/v1/keys` accepts (src/keys/routes.ts); test/cli/keys.test.ts compares this list with the
 * server's published schema so the two cannot drift apart.
 */
export const KEY_ACTIONS = ['publish', 'edit', 'admin', 'context_reader', 'context_writer'] as const;

interface CreateFlags extends RegistryFlags {
  permission?: string[];
  readOnly?: boolean;
  description?: string;
  expiresAt?: string;
  expiresIn?: string;
}

/** A repeatable option; no default, so --help shows none. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `wharf keys create|list|show|revoke`: API key administration (`admin` on `*`). */
export function keysCommand(): Command {
  const keys = cliCommand('keys')
    .summary('Create, list, show and revoke API keys (administrators)')
    .description(
      'Manage API keys (wharf_…): long-lived, scoped credentials for CI and services. Creating, listing and revoking ' +
        'need admin on * (see docs/api-keys-and-audit.md)',
    );

  keys.addCommand(
    withJson(
      withRegistryFlags(
        cliCommand('create')
          .description(
            'Create an API key. The key is printed once: Wharf stores only a digest of it and cannot show it again',
          )
          .argument(
            '<name>',
            'a name for the key (1–100 characters), e.g. acme-ci; shown as its subject in the audit log',
          )
          .option(
            '--permission <action:pattern>',
            `what the key may do, repeatable: an action (${KEY_ACTIONS.join(', ')}) on a name pattern ` +
              '(*, prefix* or an exact name), e.g. "publish:com.acme/*"',
            collect,
          )
          .option('--read-only', 'a key with no permissions (reads a private registry); instead of --permission')
          .option('--description <text>', 'what the key is for (at most 500 characters)')
          .option('--expires-at <time>', 'expiry as an RFC 3339 time, e.g. 2027-06-30T00:00:00Z (default: never)')
          .option('--expires-in <duration>', 'expiry from now: a number and s, m, h, d or w, e.g. 90d'),
      ),
    ).action(
      run(async (name: string, flags: CreateFlags) => {
        const request: CreateKeyRequest = { name, permissions: permissionsFrom(flags) };
        if (flags.description !== undefined) request.description = flags.description;
        const expiry = expiryFrom(flags);
        if (expiry !== undefined) request.expires_at = expiry;
        const { client } = connect(flags, { requireToken: true });
        const created = await client.createKey(request);
        if (flags.json) printJson(created);
        else printCreated(created);
        return EXIT.ok;
      }),
    ),
  );

  keys.addCommand(
    withJson(
      withRegistryFlags(
        cliCommand('list')
          .description('List API keys (active ones unless --include-revoked); never their secrets')
          .option('--include-revoked', 'also list revoked keys'),
      ),
    ).action(
      run(async (flags: RegistryFlags & { includeRevoked?: boolean }) => {
        const { client } = connect(flags, { requireToken: true });
        const found = await client.listKeys({ includeRevoked: Boolean(flags.includeRevoked) });
        if (flags.json) return printJson(found);
        if (found.length === 0) return out('No API keys.');
        const rows = found.map((k) => [
          k.id,
          k.name,
          keyState(k),
          k.expires_at ?? 'never',
          k.last_used_at ?? 'never',
          describePermissions(k.permissions),
        ]);
        out(table(['ID', 'NAME', 'STATE', 'EXPIRES', 'LAST USED', 'PERMISSIONS'], rows));
      }),
    ),
  );

  keys.addCommand(
    withJson(
      withRegistryFlags(
        cliCommand('show')
          .description('Show one API key (administrators, or the key itself)')
          .argument('<id>', 'the key id: the 12 characters after wharf_'),
      ),
    ).action(
      run(async (id: string, flags: RegistryFlags) => {
        const { client } = connect(flags, { requireToken: true });
        const key = await client.getKey(keyId(id));
        if (flags.json) return printJson(key);
        printKey(key);
      }),
    ),
  );

  keys.addCommand(
    withJson(
      withRegistryFlags(
        cliCommand('revoke')
          .description('Revoke an API key: it stops working at once (within 5 seconds on other replicas)')
          .argument('<id>', 'the key id: the 12 characters after wharf_'),
      ),
    ).action(
      run(async (id: string, flags: RegistryFlags) => {
        const { client } = connect(flags, { requireToken: true });
        const key = await client.revokeKey(keyId(id));
        if (flags.json) return printJson(key);
        out(paint().green(`✓ Revoked API key ${key.id} (${key.name}) at ${key.revoked_at ?? '?'}`));
      }),
    ),
  );

  return keys;
}

function permissionsFrom(flags: CreateFlags): Permission[] {
  const given = flags.permission ?? [];
  if (flags.readOnly && given.length > 0) {
    throw new CliError('give either --permission or --read-only, not both', EXIT.usage);
  }
  if (!flags.readOnly && given.length === 0) {
    throw new CliError(
      'give at least one --permission action:pattern (e.g. --permission "publish:com.acme/*"), or --read-only',
      EXIT.usage,
    );
  }
  return given.map((value) => {
    const colon = value.indexOf(':');
    const action = colon === -1 ? value : value.slice(0, colon);
    const resource = colon === -1 ? '' : value.slice(colon + 1);
    if (!(KEY_ACTIONS as readonly string[]).includes(action)) {
      throw new CliError(
        `--permission "${value}": the action must be one of ${KEY_ACTIONS.join(', ')}, as in "publish:com.acme/*"`,
        EXIT.usage,
      );
    }
    if (resource === '') {
      throw new CliError(
        `--permission "${value}": give a name pattern after the colon (*, prefix* or an exact name)`,
        EXIT.usage,
      );
    }
    return { action: action as Permission['action'], resource };
  });
}

function expiryFrom(flags: CreateFlags): string | undefined {
  if (flags.expiresAt !== undefined && flags.expiresIn !== undefined) {
    throw new CliError('give either --expires-at or --expires-in, not both', EXIT.usage);
  }
  if (flags.expiresAt !== undefined) return parseTime(flags.expiresAt, '--expires-at', 'absolute');
  if (flags.expiresIn !== undefined) return parseTime(flags.expiresIn, '--expires-in', 'future');
  return undefined;
}

/** Accepts the full key by mistake too, but only ever sends its id: the secret part must not travel in a URL. */
function keyId(given: string): string {
  const match = /^wharf_([a-z0-9]{12})_/.exec(given);
  return match?.[1] ?? given;
}

function keyState(key: ApiKey, now = Date.now()): string {
  if (key.revoked_at) return 'revoked';
  if (key.expires_at && Date.parse(key.expires_at) <= now) return 'expired';
  return 'active';
}

function describePermissions(permissions: readonly Permission[]): string {
  return permissions.length === 0 ? '(read-only)' : permissions.map((p) => `${p.action}:${p.resource}`).join(', ');
}

function field(label: string, value: string | null | undefined): void {
  if (value) out(`${paint().dim(label.padEnd(12))}${value}`);
}

function printKey(key: ApiKey): void {
  const p = paint();
  out(`${p.bold(key.id)}  ${key.name}`);
  field('state', keyState(key));
  field('description', key.description);
  field('permissions', describePermissions(key.permissions));
  field('created', `${key.created_at} by ${key.created_by}`);
  field('expires', key.expires_at ?? 'never');
  field('last used', key.last_used_at ?? 'never');
  if (key.revoked_at) field('revoked', `${key.revoked_at}${key.revoked_by ? ` by ${key.revoked_by}` : ''}`);
}

function printCreated(key: CreatedApiKey): void {
  const p = paint();
  out(p.green(`✓ Created API key ${key.id} (${key.name})`));
  field('permissions', describePermissions(key.permissions));
  field('expires', key.expires_at ?? 'never');
  out();
  out(p.bold(key.key));
  out();
  out(p.yellow('Copy this key now: Wharf keeps only a digest of it and will not show it again.'));
  out(p.dim(`Use it as --token / WHARF_TOKEN, or exchange it with: wharf login key --key <key>`));
}
