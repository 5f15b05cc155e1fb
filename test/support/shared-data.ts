import fs from 'node:fs';
import path from 'node:path';

/** `../shared/data/registry` beside the checkout, when present (a fresh clone has none). */
export const sharedRegistryData = (() => {
  const dir = path.resolve(import.meta.dirname, '../../../shared/data/registry');
  return fs.existsSync(dir) ? dir : undefined;
})();

export const SHARED_MISSING =
  '../shared/data/registry not present beside the checkout: cross-checks against official data skipped';

export function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The two top-level examples the data README documents as invalid for the official API. */
export const INVALID_OFFICIAL_EXAMPLES = new Set([
  'commands__mcp-publisher-init.json',
  'official-registry-requirements__registry-api-metadata-vs-server-json-metadata.json',
]);

export function officialExamples(): { file: string; document: Record<string, unknown> }[] {
  if (!sharedRegistryData) return [];
  const dir = path.join(sharedRegistryData, 'examples');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !INVALID_OFFICIAL_EXAMPLES.has(f))
    .sort()
    .map((file) => ({ file, document: readJson(path.join(dir, file)) as Record<string, unknown> }));
}
