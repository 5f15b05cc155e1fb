import { Option } from 'commander';
import type { Command } from 'commander';
import type { AuditEvent, AuditOutcome, AuditQuery } from '../../sdk/index.js';
import { err, out, paint, printJson, spinner, table, truncate } from '../output.js';
import { CliError, EXIT, cliCommand, connect, run, withJson, withRegistryFlags } from '../remote.js';
import type { RegistryFlags } from '../remote.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DURATION = /^(\d+)(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** The API's largest page. */
const MAX_PAGE = 500;

/**
 * A time flag as an ISO timestamp: an RFC 3339 time, or (unless `absolute`) a duration such as `90d` counted back
 * from now (`past`, for --since) or forward (`future`, for --expires-in).
 */
export function parseTime(value: string, flag: string, mode: 'past' | 'future' | 'absolute', now = Date.now()): string {
  const duration = mode === 'absolute' ? null : DURATION.exec(value.trim());
  if (duration) {
    const ms = Number(duration[1]) * (UNIT_MS[duration[2] ?? 's'] ?? 1_000);
    return new Date(mode === 'past' ? now - ms : now + ms).toISOString();
  }
  if (mode !== 'future' && RFC3339.test(value.trim())) {
    const parsed = new Date(value.trim());
    if (!Number.isNaN(parsed.getTime())) return parsed.toISOString();
  }
  const expected =
    mode === 'absolute'
      ? 'an RFC 3339 time such as 2027-06-30T00:00:00Z'
      : mode === 'future'
        ? 'a duration such as 90d (s, m, h, d or w)'
        : 'an RFC 3339 time such as 2026-11-21T13:00:00Z, or a duration back from now such as 24h (s, m, h, d or w)';
  throw new CliError(`${flag} must be ${expected}, got "${value}"`, EXIT.usage);
}

interface AuditFlags extends RegistryFlags {
  actor?: string;
  action?: string;
  target?: string;
  server?: string;
  outcome?: AuditOutcome;
  since?: string;
  until?: string;
  limit?: string;
  cursor?: string;
  all?: boolean;
}

/** `wharf audit`: the audit log, newest first, filtered as the API allows, a page at a time or all of it. */
export function auditCommand(): Command {
  return withJson(
    withRegistryFlags(
      cliCommand('audit')
        .summary('Browse the audit log: who did what, when, and whether it worked (administrators)')
        .description(
          'Show audit events, newest first: every publish, edit, status change, delete, key change and login, ' +
            'whatever its outcome (admin on *; see docs/api-keys-and-audit.md)',
        )
        .option('--actor <subject>', 'only events by this subject or API key id (exact)')
        .option(
          '--action <action>',
          'only this action: server.publish, server.edit, server.status, server.delete, key.create, key.revoke, auth.login',
        )
        .option('--target <target>', 'only this exact target: name@version, a server name, key:<id>, a login method')
        .option('--server <name>', 'only events on this server and any of its versions')
        .addOption(
          new Option('--outcome <outcome>', 'only events with this outcome').choices(['success', 'denied', 'failure']),
        )
        .option(
          '--since <time>',
          'from this time on (inclusive): RFC 3339, or a duration back from now such as 24h or 7d',
        )
        .option('--until <time>', 'before this time (exclusive): RFC 3339, or a duration back from now')
        .option('--limit <n>', 'show at most n events (default 100)')
        .option('--cursor <cursor>', 'continue after a previous listing (its nextCursor)')
        .option('--all', 'every matching event, however many pages (instead of --limit)'),
    ),
  ).action(
    run(async (flags: AuditFlags) => {
      if (flags.all && flags.limit !== undefined) throw new CliError('give either --limit or --all', EXIT.usage);
      let limit = 100;
      if (flags.limit !== undefined) {
        limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new CliError(`--limit must be a positive whole number, got "${flags.limit}"`, EXIT.usage);
      }
      if (flags.all) limit = Infinity;
      const query: AuditQuery = {
        actor: flags.actor,
        action: flags.action,
        target: flags.target,
        server: flags.server,
        outcome: flags.outcome,
        since: flags.since === undefined ? undefined : parseTime(flags.since, '--since', 'past'),
        until: flags.until === undefined ? undefined : parseTime(flags.until, '--until', 'past'),
      };
      const { client } = connect(flags, { requireToken: true });

      // Each page asks for exactly what is still wanted, so the last page's cursor continues where the output ends.
      const events: AuditEvent[] = [];
      let cursor = flags.cursor;
      const progress = spinner('reading the audit log');
      try {
        while (events.length < limit) {
          const page = await client.auditPage({ ...query, cursor, limit: Math.min(MAX_PAGE, limit - events.length) });
          events.push(...page.events);
          progress.update(`reading the audit log: ${events.length}`);
          cursor = page.metadata?.nextCursor;
          if (!cursor || page.events.length === 0) break;
        }
      } finally {
        progress.stop();
      }
      const nextCursor = events.length > 0 ? cursor : undefined;

      if (flags.json) {
        printJson({ events, metadata: { count: events.length, ...(nextCursor ? { nextCursor } : {}) } });
        return EXIT.ok;
      }
      if (events.length === 0) {
        out('No audit events match.');
        return EXIT.ok;
      }
      const p = paint();
      const outcome = (o: string) => (o === 'success' ? p.green(o) : o === 'denied' ? p.yellow(o) : p.red(o));
      const rows = events.map((e) => [
        e.occurred_at.replace(/\.\d+Z$/, 'Z'),
        e.action,
        outcome(e.outcome),
        actorOf(e),
        e.target ?? '',
        truncate(detailOf(e), 80),
      ]);
      out(table(['TIME', 'ACTION', 'OUTCOME', 'ACTOR', 'TARGET', 'DETAIL'], rows));
      // The hint goes to stderr so stdout stays the table alone.
      if (nextCursor) err(p.dim(`More events: repeat with --cursor ${nextCursor}`));
      return EXIT.ok;
    }),
  );
}

function actorOf(event: AuditEvent): string {
  if (!event.actor) return '(anonymous)';
  const key = event.actor.key_id ? ` [${event.actor.key_id}]` : '';
  return `${event.actor.method}:${event.actor.subject}${key}`;
}

function detailOf(event: AuditEvent): string {
  const detail = event.detail ?? {};
  const parts: string[] = [];
  if (typeof detail.status === 'number') parts.push(String(detail.status));
  if (typeof detail.reason === 'string') parts.push(detail.reason);
  return parts.join(' ');
}
