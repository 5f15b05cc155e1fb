import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from '../../config/config.js';
import { createCommandLogger, flushLogger } from '../../platform/observability/logger.js';
import { CONFLICT_POLICIES, syncSettingsFrom } from '../../sync/index.js';
import type { SyncProgress, SyncSummary } from '../../sync/index.js';
import { parsePatterns } from '../../sync/patterns.js';
import { createWharf } from '../../wharf.js';
import { withConfigFlags } from '../config-flags.js';

export function syncCommand(): Command {
  return withConfigFlags(
    new Command('sync')
      .description(
        'Mirror another registry into this one: a full copy the first time, then only what changed (resumable)',
      )
      .option(
        '--upstream <url>',
        'upstream registry base URL, e.g. https://registry.modelcontextprotocol.io (env WHARF_SYNC_UPSTREAM)',
      )
      .option('--allow <patterns>', 'only names matching these comma-separated patterns (env WHARF_SYNC_ALLOW)')
      .option('--deny <patterns>', 'never names matching these comma-separated patterns (env WHARF_SYNC_DENY)')
      .addOption(
        new Option(
          '--conflict <policy>',
          'names that also exist locally (env WHARF_SYNC_CONFLICT, default skip)',
        ).choices(CONFLICT_POLICIES),
      )
      .option('--full', 'run a full pass now (also removes versions the upstream no longer has)')
      .option('--page-size <n>', 'items per upstream page, 1-100 (default 100)')
      .option('--json', 'print the summary as JSON'),
  ).action(async (flags) => {
    const config = loadConfig(flags);
    const upstream = (flags.upstream as string | undefined) ?? config.sync.upstream;
    if (!upstream)
      throw new ConfigError('wharf sync needs an upstream: pass --upstream <url> or set WHARF_SYNC_UPSTREAM');
    const settings = syncSettingsFrom(config, upstream);
    for (const key of ['allow', 'deny'] as const) {
      if (flags[key] === undefined) continue;
      const { patterns, problem } = parsePatterns(flags[key] as string);
      if (problem) throw new ConfigError(`--${key}: ${problem}`);
      settings[key] = patterns;
    }
    if (flags.conflict) settings.conflict = flags.conflict as (typeof CONFLICT_POLICIES)[number];
    if (flags.pageSize !== undefined) {
      const size = Number(flags.pageSize);
      if (!Number.isInteger(size) || size < 1 || size > 100) throw new ConfigError('--page-size must be 1 to 100');
      settings.pageSize = size;
    }

    const logger = createCommandLogger(process.env.WHARF_LOG_LEVEL ?? 'warn');
    // One pass and exit: no health probes, leases or in-memory search index.
    const wharf = await createWharf(config, logger, { background: false });
    const progress = progressDisplay();
    const stop = new AbortController();
    // The first Ctrl-C stops at the next page boundary (the cursor is committed); a second one exits at once.
    const onSignal = () => {
      if (stop.signal.aborted) process.exit(130);
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const summary = await wharf.sync.run(settings, {
        full: Boolean(flags.full),
        signal: stop.signal,
        onProgress: progress.update,
      });
      progress.stop();
      if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else process.stdout.write(`${describe(summary)}\n`);
      if (summary.outcome === 'not-leader') process.exitCode = 3;
    } finally {
      progress.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await wharf.close();
      flushLogger(logger);
    }
  });
}

/** A live counter on stderr when it is a terminal; nothing otherwise (logs and CI stay clean). */
function progressDisplay() {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format:
        '{mode} sync · page {pages} · {seen} versions seen · {inserted} new · {updated} changed · {unchanged} unchanged · {removed} removed · {duration_formatted}',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p: SyncProgress) {
      const payload = { ...p, mode: p.resumed ? `${p.mode} (resumed)` : p.mode };
      if (!started) {
        bar.start(0, 0, payload);
        started = true;
      }
      bar.update(p.pages, payload);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

function describe(s: SyncSummary): string {
  if (s.outcome === 'not-leader') {
    return `Another Wharf process is already syncing from ${s.upstream} (it holds the sync lock); nothing done.`;
  }
  const verb = s.outcome === 'stopped' ? 'Stopped' : 'Synced';
  const lines = [
    `${verb} from ${s.upstream}: ${s.mode} pass${s.resumed ? ' (resumed)' : ''}, ${s.pages} page(s) in ${(s.durationMs / 1000).toFixed(1)} s.`,
    `  ${s.seen} versions seen: ${s.inserted} new, ${s.updated} changed, ${s.unchanged} unchanged, ${s.removed} removed`,
  ];
  const held = [
    s.filtered ? `${s.filtered} filtered by allow/deny` : '',
    s.conflicts ? `${s.conflicts} held back by the conflict policy` : '',
    s.invalid ? `${s.invalid} invalid` : '',
  ].filter(Boolean);
  if (held.length) lines.push(`  ${held.join(', ')}`);
  if (s.highWater) lines.push(`  up to date with upstream changes until ${s.highWater}`);
  return lines.join('\n');
}
