import fs from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import type { ImportProgress } from '../../registry/importer.js';
import { withConfigFlags } from '../config-flags.js';

export function importCommand(): Command {
  return withConfigFlags(
    new Command('import')
      .description(
        'Import server.json documents from a file (JSON array) or another registry (a URL such as https://host/v0.1/servers)',
      )
      .argument('<source>', 'file path or URL')
      .option(
        '--assume-current-schema',
        'give documents without $schema the current schema URL instead of skipping them',
      )
      .option('--json', 'print the summary as JSON'),
  ).action(async (source: string, flags) => {
    // Loaded on use, so `wharf --help` and the client commands start without the whole server.
    const { loadConfig } = await import('../../config/config.js');
    const { createCommandLogger } = await import('../../platform/observability/logger.js');
    const { fromDocument, importServers } = await import('../../registry/importer.js');
    const { createWharf } = await import('../../wharf.js');
    const config = loadConfig(flags);
    const wharf = await createWharf(config, createCommandLogger('warn'), { background: false });
    const bar = process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            format: 'importing [{bar}] {value}/{total} · {imported} imported · {skipped} skipped',
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    let started = false;
    const onProgress = (p: ImportProgress) => {
      if (!bar) return;
      if (!started) {
        bar.start(p.total ?? 0, 0, { imported: 0, skipped: 0 });
        started = true;
      }
      if (p.total === undefined) bar.setTotal(p.processed);
      bar.update(p.processed, { imported: p.imported, skipped: p.skipped });
    };
    try {
      const batches = /^https?:\/\//i.test(source)
        ? await remoteBatches(source, config.allowPrivateNetworks)
        : fromDocument(JSON.parse(await fs.readFile(source, 'utf8')));
      const summary = await importServers(wharf.registry, batches, {
        assumeCurrentSchema: Boolean(flags.assumeCurrentSchema),
        onProgress,
      });
      bar?.stop();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      } else {
        process.stdout.write(`Imported ${summary.imported}, skipped ${summary.skipped.length}.\n`);
        const reasons = new Map<string, number>();
        for (const s of summary.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
        for (const [reason, count] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
          process.stdout.write(`  ${String(count).padStart(6)} × ${reason}\n`);
        }
      }
    } finally {
      bar?.stop();
      await wharf.close();
    }
  });
}

async function remoteBatches(source: string, allowPrivateNetworks: boolean) {
  const { createOutboundClient } = await import('../../platform/net/index.js');
  const { fromDocument, fromRegistry } = await import('../../registry/importer.js');
  const client = createOutboundClient({ allowPrivateNetworks, userAgent: 'Wharf-Importer/1.0', timeoutMs: 30_000 });
  const fetchJson = async (url: string) => {
    const response = await client.fetch(url, { maxBytes: 64 * 1024 * 1024, headers: { accept: 'application/json' } });
    if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
    return response.json();
  };
  // A URL naming a list endpoint is paged; anything else is read as one document (array or list page).
  if (/\/servers\/?$/.test(new URL(source).pathname)) return fromRegistry(source, fetchJson);
  return fromDocument(await fetchJson(source));
}
