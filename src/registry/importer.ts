import type { Principal } from '../auth/authenticator.js';
import { WharfError } from '../platform/errors.js';
import type { RegistryService } from './service.js';
import { CURRENT_SCHEMA_URL, checkRequestShape } from './validation/index.js';

/** Fetches JSON from a URL (the outbound, SSRF-guarded client in production). */
export type JsonFetcher = (url: string) => Promise<unknown>;

export interface ImportOptions {
  /** Give documents without `$schema` the current schema URL instead of skipping them. */
  assumeCurrentSchema?: boolean;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  processed: number;
  imported: number;
  skipped: number;
  /** Known for files, unknown while paging through a remote registry. */
  total?: number | undefined;
}

export interface SkippedItem {
  index: number;
  name?: string | undefined;
  version?: string | undefined;
  reason: string;
}

export interface ImportSummary {
  imported: number;
  skipped: SkippedItem[];
}

const IMPORTER: Principal = {
  authMethod: 'import',
  subject: 'importer',
  permissions: [
    { action: 'publish', resource: '*' },
    { action: 'edit', resource: '*' },
  ],
};

/**
 * Publishes server.json documents from a file or another registry through the normal publish path,
 * so every rule applies; items that already exist or fail validation are skipped with a reason.
 */
export async function importServers(
  registry: RegistryService,
  batches: AsyncIterable<{ items: unknown[]; total?: number }>,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const summary: ImportSummary = { imported: 0, skipped: [] };
  let index = 0;
  for await (const batch of batches) {
    for (const raw of batch.items) {
      const item = unwrap(raw);
      const name = stringField(item, 'name');
      const version = stringField(item, 'version');
      const skip = (reason: string) => summary.skipped.push({ index, name, version, reason });
      if (options.assumeCurrentSchema && isObject(item) && item.$schema === undefined) {
        item.$schema = CURRENT_SCHEMA_URL;
      }
      const shape = checkRequestShape(item);
      if (!shape.ok) {
        skip(shape.errors.map((e) => `${e.location}: ${e.message}`).join('; '));
      } else {
        try {
          await registry.publish(shape.value, IMPORTER);
          summary.imported += 1;
        } catch (error) {
          if (!(error instanceof WharfError)) throw error;
          const causes = error.errors?.map((e) => e.message).join('; ');
          skip(
            causes?.includes('duplicate version')
              ? 'already exists'
              : causes
                ? `${error.detail}: ${causes}`
                : error.detail,
          );
        }
      }
      index += 1;
      options.onProgress?.({
        processed: index,
        imported: summary.imported,
        skipped: summary.skipped.length,
        total: batch.total,
      });
    }
  }
  return summary;
}

/** Reads a JSON array of server.json (or of `{server, _meta}` entries) or one official list response. */
export async function* fromDocument(document: unknown): AsyncIterable<{ items: unknown[]; total: number }> {
  const items = Array.isArray(document)
    ? document
    : isObject(document) && Array.isArray(document.servers)
      ? document.servers
      : undefined;
  if (!items)
    throw new Error('Expected a JSON array of server.json documents or a registry list response {servers: [...]}');
  yield { items, total: items.length };
}

/**
 * Pages through another registry's `/v0(.1)/servers`, following `metadata.nextCursor` (encoding it,
 * which the official importer forgets) until a page comes back without one or empty.
 */
export async function* fromRegistry(listUrl: string, fetchJson: JsonFetcher): AsyncIterable<{ items: unknown[] }> {
  const base = new URL(listUrl);
  if (!base.searchParams.has('limit')) base.searchParams.set('limit', '100');
  let cursor: string | undefined;
  for (let page = 0; page < 100_000; page += 1) {
    const url = new URL(base);
    if (cursor !== undefined) url.searchParams.set('cursor', cursor);
    const body = await fetchJson(url.toString());
    if (!isObject(body) || !Array.isArray(body.servers)) {
      throw new Error(`${url} did not answer with a registry list response {servers, metadata}`);
    }
    if (body.servers.length === 0) return;
    yield { items: body.servers };
    const next = isObject(body.metadata) ? body.metadata.nextCursor : undefined;
    if (typeof next !== 'string' || next === '' || next === cursor) return;
    cursor = next;
  }
}

function unwrap(raw: unknown): unknown {
  // Entries of a list response wrap the document with the source registry's metadata, which is not kept.
  if (isObject(raw) && isObject(raw.server) && '_meta' in raw) return raw.server;
  return raw;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(value: unknown, key: string): string | undefined {
  return isObject(value) && typeof value[key] === 'string' ? value[key] : undefined;
}
