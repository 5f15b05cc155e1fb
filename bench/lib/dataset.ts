/**
 * Populated data directories, cached under bench/.cache/ (gitignored) so that repeated runs do not regenerate and
 * re-import 25 000 servers. The cache key is the generator version, the model fingerprint (seed file or built-in
 * vocabulary) and the server count. A data set is built by writing the generated documents to servers.json and
 * running `wharf import servers.json --data-dir <cache>/data`; `dataset.json` is written last, so an interrupted build
 * is detected and redone. `--rebuild-data` forces a rebuild (e.g. after a migration was rewritten).
 *
 * Scenarios never run Wharf on the cached directory itself: each run gets a fresh copy (cheap: one SQLite file), so
 * publishes, migrations or key generation never leak from one run into the next.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GENERATOR_VERSION, generateServers, summarise, writeServersFile } from '../data/generate.js';
import { REPO_ROOT, loadModel } from '../data/model.js';
import { importFile } from './wharf.js';

export const CACHE_ROOT = path.join(REPO_ROOT, 'bench', '.cache');

export interface Dataset {
  key: string;
  dir: string;
  dataDir: string;
  serversFile: string;
  /** Server names in generation order (one per server). */
  names: string[];
  servers: number;
  documents: number;
  imported?: number;
  skipped?: number;
  modelSource: string;
}

interface Marker {
  generatorVersion: number;
  model: string;
  modelSource: string;
  servers: number;
  documents: number;
  imported?: number;
  skipped?: number;
  importMs: number;
  importOutput: string;
  createdAt: string;
}

export async function ensureDataset(
  servers: number,
  options: { rebuild?: boolean; log: (line: string) => void },
): Promise<Dataset> {
  const model = loadModel();
  const key = `registry-g${GENERATOR_VERSION}-${model.fingerprint}-n${servers}`;
  const dir = path.join(CACHE_ROOT, key);
  const markerFile = path.join(dir, 'dataset.json');
  const namesFile = path.join(dir, 'names.txt');
  const dataset = (marker: Marker): Dataset => ({
    key,
    dir,
    dataDir: path.join(dir, 'data'),
    serversFile: path.join(dir, 'servers.json'),
    names: readFileSync(namesFile, 'utf8').split('\n').filter(Boolean),
    servers: marker.servers,
    documents: marker.documents,
    ...(marker.imported !== undefined ? { imported: marker.imported } : {}),
    ...(marker.skipped !== undefined ? { skipped: marker.skipped } : {}),
    modelSource: marker.modelSource,
  });

  if (!options.rebuild && existsSync(markerFile) && existsSync(namesFile)) {
    const marker = JSON.parse(readFileSync(markerFile, 'utf8')) as Marker;
    options.log(`data set ${key}: cached (${marker.servers} servers, ${marker.documents} documents)`);
    return dataset(marker);
  }

  options.log(`data set ${key}: building (model: ${model.source})`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const generated = generateServers(servers, model);
  const serversFile = path.join(dir, 'servers.json');
  const documents = writeServersFile(serversFile, generated);
  writeFileSync(namesFile, generated.map((server) => server.name).join('\n') + '\n');
  options.log(`  generated ${documents} documents: ${JSON.stringify(summarise(generated))}`);
  options.log(`  importing with \`wharf import\` (this can take a while)…`);
  const result = await importFile(serversFile, path.join(dir, 'data'));
  options.log(
    `  import took ${(result.ms / 1000).toFixed(1)} s: ${result.output.split('\n').slice(0, 6).join(' | ') || '(no output)'}`,
  );
  if (result.imported !== undefined && result.imported !== documents) {
    options.log(`  WARNING: Wharf imported ${result.imported} of ${documents} documents (skipped ${result.skipped})`);
  }
  const marker: Marker = {
    generatorVersion: GENERATOR_VERSION,
    model: model.fingerprint,
    modelSource: model.source,
    servers,
    documents,
    ...(result.imported !== undefined ? { imported: result.imported } : {}),
    ...(result.skipped !== undefined ? { skipped: result.skipped } : {}),
    importMs: Math.round(result.ms),
    importOutput: result.output.slice(0, 4000),
    createdAt: new Date().toISOString(),
  };
  writeFileSync(markerFile, JSON.stringify(marker, null, 2) + '\n');
  return dataset(marker);
}

/** A private working directory under bench/.cache/runs/, removed by the returned cleanup function. */
export function workDir(label: string): { dir: string; cleanup: () => void } {
  const dir = path.join(CACHE_ROOT, 'runs', `${label}-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh copy of a data set's populated data directory. */
export function copyDataDir(dataset: Dataset, label: string): { dir: string; cleanup: () => void } {
  const work = workDir(label);
  cpSync(dataset.dataDir, work.dir, { recursive: true });
  return work;
}
