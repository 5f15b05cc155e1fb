/**
 * The "model" the generator imitates: owners, subject words, real descriptions and environment variables taken from
 * the last large seed of the official registry (358 real servers) when ../shared/ is present, else the built-in
 * vocabulary. The model's fingerprint is part of the data-set cache key, so a clone without ../shared/ never reuses a
 * data set generated from the seed (or the reverse).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashString } from './prng.js';
import { ENV_VAR_SUFFIXES, TOPICS } from './vocabulary.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SEED_FILE = path.resolve(
  REPO_ROOT,
  '..',
  'shared',
  'data',
  'registry',
  'seed',
  'seed.historical-2025-09-29-358servers.json',
);
export const SCHEMA_FILE = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'registry', 'server.schema.2025-12-11.json');

export interface EnvVarModel {
  name: string;
  description: string;
}

export interface Model {
  source: 'seed' | 'builtin';
  /** Changes whenever the model's content changes; part of the cache key. */
  fingerprint: string;
  /** GitHub owners seen in real server names (lower case). */
  owners: string[];
  /** Subject words, [a-z0-9] only, at least 3 characters. */
  topics: string[];
  /** Real descriptions, trimmed, 1..100 characters. Empty for the built-in model. */
  descriptions: string[];
  envVars: EnvVarModel[];
}

const STOP_WORDS = new Set(
  'mcp server servers the and for with model context protocol main app core api sdk lib official'.split(' '),
);

/** Cut at a word boundary so that the text fits the registry's 100-character limit. */
export function clampDescription(text: string, max = 100): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return (space > 40 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, '');
}

interface SeedEntry {
  name?: unknown;
  description?: unknown;
  packages?: { identifier?: unknown; environmentVariables?: { name?: unknown; description?: unknown }[] }[];
}

export function loadModel(seedFile: string = SEED_FILE): Model {
  if (!existsSync(seedFile)) {
    return {
      source: 'builtin',
      fingerprint: `builtin-${hashString(TOPICS.join(' ') + ENV_VAR_SUFFIXES.join(' ')).toString(16)}`,
      owners: [],
      topics: [...TOPICS],
      descriptions: [],
      envVars: [],
    };
  }
  const raw = readFileSync(seedFile, 'utf8');
  const entries = JSON.parse(raw) as SeedEntry[];
  const owners = new Set<string>();
  const topics = new Set<string>(TOPICS);
  const descriptions: string[] = [];
  const envVars = new Map<string, string>();
  for (const entry of entries) {
    if (typeof entry.name === 'string') {
      const [namespace = '', repo = ''] = entry.name.split('/');
      if (namespace.startsWith('io.github.')) owners.add(namespace.slice('io.github.'.length).toLowerCase());
      for (const token of repo.toLowerCase().split(/[^a-z0-9]+/)) {
        if (token.length >= 3 && !STOP_WORDS.has(token) && !/^\d+$/.test(token)) topics.add(token);
      }
    }
    if (typeof entry.description === 'string') {
      const description = clampDescription(entry.description);
      if (description.length > 0) descriptions.push(description);
    }
    for (const pkg of entry.packages ?? []) {
      for (const env of pkg.environmentVariables ?? []) {
        if (typeof env.name !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(env.name)) continue;
        const description = typeof env.description === 'string' ? clampDescription(env.description, 200) : '';
        if (!envVars.has(env.name)) envVars.set(env.name, description || env.name.toLowerCase().replace(/_/g, ' '));
      }
    }
  }
  return {
    source: 'seed',
    fingerprint: `seed-${hashString(raw).toString(16)}`,
    owners: [...owners].filter((owner) => /^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(owner)).sort(),
    topics: [...topics].sort(),
    descriptions,
    envVars: [...envVars]
      .map(([name, description]) => ({ name, description }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}
