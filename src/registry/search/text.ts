/**
 * Text analysis for registry search, done once in TypeScript for both databases: the same words go into the
 * SQLite and PostgreSQL indexes and the same words come out of a query, so both dialects rank identically.
 */

/** Where a word was found; lower is better (it is also the ranking tier's input). */
export const FIELD = { name: 0, title: 1, description: 2, other: 3 } as const;
export type Field = (typeof FIELD)[keyof typeof FIELD];

const MAX_TOKEN_LENGTH = 64;
/** URL scaffolding that every remote has: indexing it would make `https` match every server. */
const URL_NOISE = new Set(['http', 'https', 'www']);

const fold = (text: string): string =>
  text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();

/** Splits on anything that is not a letter or a digit. */
function rawWords(text: string): string[] {
  return text.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0);
}

/**
 * Words of a query: folded (lower case, no diacritics), split on punctuation, deduplicated, at most 8.
 * `io.github.acme/Weather-Server` → io, github, acme, weather, server.
 */
export function queryWords(query: string): string[] {
  const words = rawWords(fold(query)).map((w) => w.slice(0, MAX_TOKEN_LENGTH));
  return [...new Set(words)].slice(0, 8);
}

/** Words of an indexed text; camelCase parts are indexed too, so `GitHubIssues` is found by `issues`. */
export function documentWords(text: string): string[] {
  const out: string[] = [];
  for (const raw of rawWords(text.normalize('NFKD').replace(/\p{M}+/gu, ''))) {
    out.push(raw.toLowerCase());
    const parts = raw.split(/(?<=\p{Ll})(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})/u);
    if (parts.length > 1) for (const part of parts) out.push(part.toLowerCase());
  }
  return out.filter((word) => word.length <= MAX_TOKEN_LENGTH);
}

/** The part of the name after the slash, e.g. `weather-server` in `io.github.acme/weather-server`. */
export const slugOf = (name: string): string => name.slice(name.indexOf('/') + 1);
export const namespaceOf = (name: string): string => name.slice(0, Math.max(0, name.indexOf('/')));

/** A folded query or name, compared character for character (exact-name and prefix tiers). */
export const foldName = (text: string): string => fold(text.trim());
/** The words of a text joined by one space: `Weather_Server` and `weather server` share the key `weather server`. */
export const wordKey = (text: string): string => rawWords(fold(text)).join(' ');

export interface SearchDocument {
  name: string;
  version: string;
  nameLc: string;
  slugLc: string;
  slugKey: string;
  /** Each distinct word with the best field it occurs in. */
  terms: Map<string, Field>;
  /** Filter and facet values: transport, registry_type, has_remote, has_package, namespace. */
  facets: { facet: string; value: string }[];
  /** The namespace facet's value ('' when the name has none). */
  namespace: string;
  /** The other facets as one sorted JSON array of [facet, value] pairs (see facetPairs). */
  facetKey: string;
  /** `terms` as one string, ` term:field ` per word, sorted: ` word` in it is "an indexed word starts with word". */
  words: string;
}

/** The [facet, value] pairs of a `facetKey`. */
export const facetPairs = (facetKey: string): [string, string][] => JSON.parse(facetKey) as [string, string][];

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface IndexedServerJson {
  name?: unknown;
  title?: unknown;
  description?: unknown;
  remotes?: { type?: unknown; url?: unknown }[];
  packages?: { registryType?: unknown; identifier?: unknown; transport?: { type?: unknown; url?: unknown } }[];
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** What the search index keeps of one server.json (its latest version). */
export function searchDocument(name: string, version: string, document: string): SearchDocument {
  const server = JSON.parse(document) as IndexedServerJson;
  const terms = new Map<string, Field>();
  const add = (words: readonly string[], field: Field) => {
    for (const word of words) {
      const known = terms.get(word);
      if (known === undefined || field < known) terms.set(word, field);
    }
  };
  const remotes = Array.isArray(server.remotes) ? server.remotes : [];
  const packages = Array.isArray(server.packages) ? server.packages : [];
  add(documentWords(name), FIELD.name);
  add(documentWords(text(server.title)), FIELD.title);
  add(documentWords(text(server.description)), FIELD.description);
  const other = [
    ...remotes.map((r) => text(r.url)),
    ...packages.map((p) => text(p.identifier)),
    ...packages.map((p) => text(p.transport?.url)),
  ];
  add(
    documentWords(other.join(' ')).filter((word) => !URL_NOISE.has(word)),
    FIELD.other,
  );

  const facets = new Map<string, { facet: string; value: string }>();
  const facet = (key: string, raw: string) => {
    // Package types are free text in server.json; the column holds 200 characters.
    const value = raw.slice(0, 200);
    if (value) facets.set(`${key}\u0000${value}`, { facet: key, value });
  };
  for (const remote of remotes) facet('transport', text(remote.type));
  for (const pkg of packages) {
    facet('transport', text(pkg.transport?.type));
    facet('registry_type', text(pkg.registryType).toLowerCase());
  }
  facet('has_remote', String(remotes.length > 0));
  facet('has_package', String(packages.length > 0));
  facet('namespace', namespaceOf(name).toLowerCase());
  const all = [...facets.values()];
  const pairs = all
    .filter((f) => f.facet !== 'namespace')
    .map((f): [string, string] => [f.facet, f.value])
    .sort((a, b) => byCodeUnits(a[0], b[0]) || byCodeUnits(a[1], b[1]));
  const words = [...terms].map(([term, field]) => `${term}:${field}`).sort(byCodeUnits);
  return {
    name,
    version,
    nameLc: foldName(name),
    slugLc: foldName(slugOf(name)),
    slugKey: wordKey(slugOf(name)),
    terms,
    facets: all,
    namespace: all.find((f) => f.facet === 'namespace')?.value ?? '',
    facetKey: JSON.stringify(pairs),
    words: words.length > 0 ? ` ${words.join(' ')} ` : ' ',
  };
}

const TYPO_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** Words shorter than this get no typo tolerance: one edit in a three-letter word changes its meaning. */
export const MIN_TYPO_WORD_LENGTH = 4;

/**
 * Every word at Damerau–Levenshtein distance 1 of `word` (one deletion, insertion, substitution or transposition
 * of adjacent letters), over ASCII letters and digits. Looked up as exact terms in the index, this is typo
 * tolerance that answers the same on both databases (no similarity function whose scores differ between them).
 *
 * An edit at position i keeps `word`'s first i characters: a caller that knows no indexed word starts with the
 * first `lastPosition + 1` characters passes it, and the variants that cannot exist are not generated.
 */
export function typoVariants(word: string, lastPosition = word.length): string[] {
  const variants = new Set<string>();
  for (let i = 0; i <= Math.min(word.length, lastPosition); i++) {
    const head = word.slice(0, i);
    const tail = word.slice(i);
    if (tail.length > 0) variants.add(head + tail.slice(1));
    if (tail.length > 1) variants.add(head + tail[1] + tail[0] + tail.slice(2));
    for (const c of TYPO_ALPHABET) {
      variants.add(head + c + tail);
      if (tail.length > 0) variants.add(head + c + tail.slice(1));
    }
  }
  variants.delete(word);
  return [...variants].filter((v) => v.length >= MIN_TYPO_WORD_LENGTH - 1);
}
