import type { ListCursor, ListFilter, ServerVersion } from '../model.js';
import { hash } from 'node:crypto';
import type { EncodedBody, MetaProvider } from '../wire.js';
import { serverResponseJson } from '../wire.js';
import { encodeRankCursor } from './cursor.js';
import type { DocumentRow } from './memory-source.js';
import { RANK, facetCountsOf } from './search-store.js';
import type { FacetCounts } from './search-store.js';
import { MIN_TYPO_WORD_LENGTH, facetPairs, foldName, queryWords, typoVariants } from './text.js';

/** Where the in-memory index reads from (see MemoryIndexSource); an interface so tests may count the reads. */
export interface MemoryIndexReads {
  documentsAfter(after: string, limit: number): Promise<DocumentRow[]>;
  documentsOf(names: readonly string[]): Promise<DocumentRow[]>;
  latestOf(names: readonly string[]): Promise<ServerVersion[]>;
  generation(): Promise<number>;
}

export interface MemorySearchOptions {
  /** How often to look for writes made by other processes or replicas (the registry generation). */
  pollIntervalMs?: number;
  /** Upper bound on the bytes of cached serialised entries. */
  maxEntryBytes?: number;
  /** Documents read per batch while building. */
  batchSize?: number;
  onError?: (error: unknown, what: string) => void;
  /** Called after each full build with the number of servers and how long it took. */
  onBuilt?: (servers: number, ms: number) => void;
}

/** A server as the SQL index holds it (search_documents + search_terms + search_facets), latest version. */
interface Doc {
  name: string;
  /** `name` lower-cased (ASCII), for the official substring-on-name match. */
  nameLower: string;
  nameLc: string;
  slugLc: string;
  slugKey: string;
  version: string;
  status: string;
  /** `facet\0value` of transport, registry_type, has_remote, has_package. */
  facets: string[];
  /** Status and facet values, shared by the documents that have the same (counted once per match by `facets`). */
  shape: Tally;
  namespace: Tally;
  /** The document's words in code-unit order (as the vocabulary), with the best field of each. */
  terms: string[];
  fields: number[];
  /** The vocabulary positions of `terms` (ascending, as `terms`), as of vocabularyVersion `idsVersion`. */
  ids: Int32Array;
  idsVersion: number;
  /** Stable slot in the per-query scratch arrays. */
  slot: number;
  /** Position in name order. */
  pos: number;
  /** This server's response entry, encoded, without its two closing braces (see `page`); a reload drops it. */
  entry: { json: Buffer; digest: string } | undefined;
}

interface Postings {
  /** The word itself: documents share this one copy. */
  term: string;
  docs: Doc[];
  /** The documents' slots, apart so the dense loops read a packed array of small integers. */
  slots: number[];
  fields: number[];
  /** Slots of the documents having the word in their name (field 0). */
  nameSlots: number[];
  /** Position in the vocabulary (as of the last vocabulary sort). */
  id: number;
  /** The name-order positions of nameSlots, ascending, as of shapeVersion `namePositionsVersion`. */
  namePositions: Int32Array;
  namePositionsVersion: number;
}

/** A value counted by `facets`: `count` is current while `stamp` is the query's. */
interface Tally {
  value: string;
  /** Shapes only: the search_documents facet_key. */
  facetKey?: string;
  count: number;
  stamp: number;
  /** Holds a surrogate (a character beyond U+FFFF), where code-unit and byte order may differ. */
  astral: boolean;
}

interface Hit {
  doc: Doc;
  rank: number;
}

interface QueryWord {
  word: string;
  /** The vocabulary range of the words starting with `word`. */
  from: number;
  to: number;
  /** Indexed words one edit away (only when none starts with `word`), and their vocabulary positions. */
  typos: string[];
  typoIds: number[];
  postings: number;
}

interface Query {
  search: string;
  searchLower: string;
  folded: string;
  key: string;
  words: QueryWord[];
}

/** Words matching at least this many index entries each send a query down the tier walk (see `page`). */
const DENSE_POSTINGS = 500;
/** Names tested one by one for the name-prefix tier before marking them from the name keys. */
const NAME_WALK = 256;
/** Up to this many name-prefix matches are ranked and sorted; beyond, they are walked in name order. */
const HEADS_SORT_LIMIT = 300;
const TOP = '\u{10FFFF}';
const NONE = new Int32Array(0);
const PAGE_HEAD = Buffer.from('{"servers":[');
const COMMA = Buffer.from(',');
const ENTRY_TAIL = Buffer.from('}}');

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\u0000-\u007f]/;
const SURROGATE = /[\ud800-\udfff]/;

/** First index in `sorted` (by `key`) whose key is >= `value`. */
function lowerBound<T>(sorted: readonly T[], value: string, key: (item: T) => string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(sorted[mid]!) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in `sorted` (ascending: code units for strings) whose value is >= `value`. */
function lowerBoundOf<T extends string | number>(sorted: ArrayLike<T>, value: T): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const BLOCK = 64;

function blockMins(values: Int32Array): Int32Array {
  const mins = new Int32Array(Math.ceil(values.length / BLOCK)).fill(0x7fffffff);
  for (let i = 0; i < values.length; i++) {
    const b = (i / BLOCK) | 0;
    if (values[i]! < mins[b]!) mins[b] = values[i]!;
  }
  return mins;
}

/** The smallest of values[from, to), using whole blocks' minimums where the range covers them. */
function rangeMin(values: Int32Array, mins: Int32Array, from: number, to: number): number {
  let min = 0x7fffffff;
  let i = from;
  for (; i < to && i % BLOCK !== 0; i++) if (values[i]! < min) min = values[i]!;
  for (; i + BLOCK <= to; i += BLOCK) if (mins[i / BLOCK]! < min) min = mins[i / BLOCK]!;
  for (; i < to; i++) if (values[i]! < min) min = values[i]!;
  return min;
}

/** No field holds the word (fields are 0–3, the name first). */
const NO_FIELD = 9;
const FIELD_NAME = 0;

/**
 * The best (lowest) field of a document holding a word that starts with `w` (its vocabulary range) or is one of
 * its typos, or NO_FIELD: the document's word ids are ascending, so this is a binary search on integers.
 */
function bestField(ids: Int32Array, fields: readonly number[], w: QueryWord): number {
  let best = NO_FIELD;
  for (let i = lowerBoundOf(ids, w.from); i < ids.length && ids[i]! < w.to; i++) {
    if (fields[i]! < best) best = fields[i]!;
  }
  for (const id of w.typoIds) {
    const i = lowerBoundOf(ids, id);
    if (ids[i] === id && fields[i]! < best) best = fields[i]!;
  }
  return best;
}

/**
 * The ranked search of latest versions, answered in process: an index of what the SQL search tables hold, with
 * the same tiers, word matching, typo rule, filters and cursor as SearchIndexStore, so it returns exactly the
 * SQL rows in the same order (the tests compare both). Common queries are answered by walking the tiers in name
 * order and stopping once the page is full; others evaluate their candidates from the postings.
 *
 * Consistency: a local write marks the index busy (SQL answers) until the written names are reloaded; a write
 * by another process (the generation moved by more than our own writes) marks it stale until a full reload in
 * the background has finished. Until the first build is done, SQL answers too.
 */
export class MemorySearchIndex {
  private docs: Doc[] = [];
  private byName = new Map<string, Doc>();
  private byNameLc: Doc[] = [];
  private bySlugLc: Doc[] = [];
  private bySlugKey: Doc[] = [];
  private postings = new Map<string, Postings>();
  private vocabulary: string[] = [];
  /** The postings of each vocabulary word, in vocabulary order. */
  private vocabularyLists: Postings[] = [];
  /** Index entries of the vocabulary words before each position: a prefix range's count is one subtraction. */
  private postingsBefore = new Int32Array(1);
  /** Slots of the names holding each three-character sequence (lower case): the substring-on-name match. */
  private trigrams = new Map<string, number[]>();
  private slotDocs: (Doc | undefined)[] = [];
  /** The distinct shapes and namespaces of the documents (see Doc.shape); kept until the next full build. */
  private readonly shapes = new Map<string, Tally>();
  private readonly namespaces = new Map<string, Tally>();
  /** Set when the name set changed: the sorted views and the names text are rebuilt before the next query. */
  private shapeDirty = true;
  private vocabularyDirty = true;
  private countsDirty = true;
  /** Bumped whenever the vocabulary is sorted again: documents' word ids (Doc.ids) are then recomputed. */
  private vocabularyVersion = 0;
  private allNamesAscii = true;

  private freeSlots: number[] = [];
  private nextSlot = 0;
  private mark = new Uint32Array(1024);
  private best = new Uint8Array(1024);
  private mark2 = new Uint32Array(1024);
  /** Slot of the document at each position in name order. */
  private posSlot = new Int32Array(0);
  /** Slots of byNameLc, bySlugLc and bySlugKey, in their order. */
  private viewSlots: Int32Array[] = [];
  /** Positions in name order of byNameLc, bySlugLc and bySlugKey, in their order. */
  private viewPositions: Int32Array[] = [];
  /** The smallest of each block of BLOCK viewPositions: a range's minimum in a few hundred steps. */
  private viewBlockMins: Int32Array[] = [];
  /** Bumped whenever positions change: what was derived from them (Postings.namePositions) is recomputed. */
  private shapeVersion = 0;
  private best2 = new Uint8Array(1024);
  private queryStamp = 0;

  private ready = false;
  private stale = false;
  private building = false;
  /** Local writes whose names are not reloaded yet. */
  private pending = 0;
  /** Bumped by every local write: an answer computed across one is not used. */
  private localEpoch = 0;
  /** The generation we expect if no other process wrote (undefined: unknown). */
  private expectedGeneration: number | undefined;
  /** Names written locally while a full build runs: reloaded once it is done. */
  private writtenDuringBuild: Set<string> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** Each shown server's response entry, encoded, without its two closing braces (see `page`). */
  /** Documents holding an entry, oldest first: evicted in that order beyond maxEntryBytes. */
  private entryQueue: Doc[] = [];
  private entryBytes = 0;
  private entryCount = 0;
  private readonly maxEntryBytes: number;

  constructor(
    private readonly reads: MemoryIndexReads,
    private readonly options: MemorySearchOptions = {},
  ) {
    this.maxEntryBytes = options.maxEntryBytes ?? 32 * 1024 * 1024;
  }

  /** Builds the index in the background and starts polling the generation. */
  start(): void {
    if (this.timer || this.stopped) return;
    void this.rebuild();
    this.timer = setInterval(() => void this.poll(), this.options.pollIntervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** True when queries are answered from memory (built, current, no local write being applied). */
  get answering(): boolean {
    return this.ready && !this.stale && !this.building && this.pending === 0;
  }

  /** Resolves once the index answers (tests). */
  async whenAnswering(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.answering) {
      if (Date.now() > until) throw new Error('the in-memory search index did not become current');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  get size(): number {
    return this.docs.length;
  }

  /** Called synchronously after a local write committed: `names` are reloaded before memory answers again. */
  noteLocalWrite(names: readonly string[]): void {
    this.localEpoch += 1;
    if (this.expectedGeneration !== undefined) this.expectedGeneration += 1;
    if (this.writtenDuringBuild) {
      for (const name of names) this.writtenDuringBuild.add(name);
      return;
    }
    this.pending += 1;
    void this.reload(names).finally(() => {
      this.pending -= 1;
    });
  }

  /** Marks the index stale and rebuilds it (also used by tests to force a rebuild). */
  async rebuild(): Promise<void> {
    this.stale = true;
    if (this.building) return;
    this.building = true;
    try {
      while (this.stale && !this.stopped) {
        this.stale = false;
        const started = performance.now();
        this.writtenDuringBuild = new Set();
        const generation = await this.reads.generation();
        const epoch = this.localEpoch;
        const rows: DocumentRow[] = [];
        const batch = this.options.batchSize ?? 2000;
        for (let after = ''; ;) {
          const page = await this.reads.documentsAfter(after, batch);
          rows.push(...page);
          if (page.length < batch) break;
          after = page.at(-1)!.server_name;
          // Lets requests run between batches: the build never holds the event loop for long.
          await new Promise((resolve) => setImmediate(resolve));
        }
        this.replaceAll(rows);
        this.expectedGeneration = generation + (this.localEpoch - epoch);
        const written = [...this.writtenDuringBuild];
        this.writtenDuringBuild = undefined;
        if (written.length > 0) await this.reload(written);
        this.ready = true;
        this.options.onBuilt?.(this.docs.length, Math.round(performance.now() - started));
      }
    } catch (error) {
      this.stale = true;
      this.writtenDuringBuild = undefined;
      this.options.onError?.(error, 'build');
    } finally {
      this.building = false;
    }
  }

  private async reload(names: readonly string[]): Promise<void> {
    try {
      const rows = await this.reads.documentsOf(names);
      const found = new Map(rows.map((r) => [r.server_name, r]));
      for (const name of names) {
        const row = found.get(name);
        if (row) this.upsert(row);
        else this.remove(name);
      }
    } catch (error) {
      this.options.onError?.(error, 'reload');
      void this.rebuild();
    }
  }

  /** Looks for writes made by other processes (run by the poll timer; tests call it to skip the wait). */
  async poll(): Promise<void> {
    if (this.building) return;
    // A failed build (the database was unreachable) is retried here.
    if (this.stale || this.expectedGeneration === undefined) {
      void this.rebuild();
      return;
    }
    const expected = this.expectedGeneration;
    try {
      const generation = await this.reads.generation();
      // Only our own writes moved it: nothing to do. A local write seen by this read but noted after it began
      // makes a spurious rebuild, never a missed one.
      if (generation === expected) return;
      void this.rebuild();
    } catch (error) {
      this.options.onError?.(error, 'poll');
    }
  }

  // --- Maintenance ---

  private replaceAll(rows: readonly DocumentRow[]): void {
    this.docs = [];
    this.byName = new Map();
    this.postings = new Map();
    this.freeSlots = [];
    this.nextSlot = 0;
    this.entryQueue = [];
    this.entryBytes = 0;
    this.entryCount = 0;
    this.trigrams = new Map();
    this.slotDocs = [];
    this.shapes.clear();
    this.namespaces.clear();
    for (const row of rows) this.insertDoc(this.makeDoc(row), true);
    this.docs.sort((a, b) => byCodeUnits(a.name, b.name));
    this.byNameLc = [...this.docs].sort((a, b) => byCodeUnits(a.nameLc, b.nameLc));
    this.bySlugLc = [...this.docs].sort((a, b) => byCodeUnits(a.slugLc, b.slugLc));
    this.bySlugKey = [...this.docs].sort((a, b) => byCodeUnits(a.slugKey, b.slugKey));
    this.shapeDirty = true;
    this.vocabularyDirty = true;
  }

  private makeDoc(row: DocumentRow): Doc {
    const entries: [string, number][] = [];
    for (const entry of row.words.split(' ')) {
      if (entry === '') continue;
      const colon = entry.lastIndexOf(':');
      entries.push([entry.slice(0, colon), Number(entry.slice(colon + 1))]);
    }
    // The column sorts `term:field` strings, which is not quite term order ('-' sorts before ':').
    entries.sort((a, b) => byCodeUnits(a[0], b[0]));
    const terms = entries.map(([term]) => term);
    const fields = entries.map(([, field]) => field);
    const facets = facetPairs(row.facet_key).map(([facet, value]) => `${facet}\u0000${value}`);
    let slot = this.freeSlots.pop();
    if (slot === undefined) slot = this.nextSlot++;
    const shapeKey = `${row.status}\u0000${row.facet_key}`;
    let shape = this.shapes.get(shapeKey);
    if (!shape) this.shapes.set(shapeKey, (shape = tally(row.status, row.facet_key)));
    let namespace = this.namespaces.get(row.namespace);
    if (!namespace) this.namespaces.set(row.namespace, (namespace = tally(row.namespace)));
    return {
      shape,
      namespace,
      name: row.server_name,
      nameLower: row.server_name.toLowerCase(),
      nameLc: row.name_lc,
      slugLc: row.slug_lc,
      slugKey: row.slug_key,
      version: row.version,
      status: row.status,
      facets,
      terms,
      fields,
      ids: NONE,
      idsVersion: -1,
      slot,
      pos: 0,
      entry: undefined,
    };
  }

  /** Adds `doc` everywhere (`bulk`: appended to the sorted views, which the caller sorts once). */
  private insertDoc(doc: Doc, bulk = false): void {
    this.byName.set(doc.name, doc);
    this.slotDocs[doc.slot] = doc;
    if (NON_ASCII.test(doc.name)) this.allNamesAscii = false;
    if (bulk) this.docs.push(doc);
    else {
      sortedInsert(this.docs, doc, (d) => d.name);
      sortedInsert(this.byNameLc, doc, (d) => d.nameLc);
      sortedInsert(this.bySlugLc, doc, (d) => d.slugLc);
      sortedInsert(this.bySlugKey, doc, (d) => d.slugKey);
    }
    for (const trigram of trigramsOf(doc.nameLower)) {
      const list = this.trigrams.get(trigram);
      if (list) list.push(doc.slot);
      else this.trigrams.set(trigram, [doc.slot]);
    }
    for (let i = 0; i < doc.terms.length; i++) {
      const term = doc.terms[i]!;
      let list = this.postings.get(term);
      if (!list) {
        list = {
          term,
          id: -1,
          docs: [],
          slots: [],
          fields: [],
          nameSlots: [],
          namePositions: NONE,
          namePositionsVersion: -1,
        };
        this.postings.set(term, list);
        this.vocabularyDirty = true;
      }
      doc.terms[i] = list.term;
      this.countsDirty = true;
      list.docs.push(doc);
      list.slots.push(doc.slot);
      list.fields.push(doc.fields[i]!);
      if (doc.fields[i] === 0) list.nameSlots.push(doc.slot);
    }
  }

  private deleteDoc(doc: Doc): void {
    this.byName.delete(doc.name);
    this.slotDocs[doc.slot] = undefined;
    sortedRemove(this.docs, doc, (d) => d.name);
    sortedRemove(this.byNameLc, doc, (d) => d.nameLc);
    sortedRemove(this.bySlugLc, doc, (d) => d.slugLc);
    sortedRemove(this.bySlugKey, doc, (d) => d.slugKey);
    for (const trigram of trigramsOf(doc.nameLower)) {
      const list = this.trigrams.get(trigram);
      const i = list?.indexOf(doc.slot) ?? -1;
      if (i >= 0) list!.splice(i, 1);
      if (list?.length === 0) this.trigrams.delete(trigram);
    }
    for (const term of doc.terms) {
      const list = this.postings.get(term);
      if (!list) continue;
      const i = list.docs.indexOf(doc);
      this.countsDirty = true;
      if (i >= 0) {
        list.docs.splice(i, 1);
        list.slots.splice(i, 1);
        list.fields.splice(i, 1);
      }
      const n = list.nameSlots.indexOf(doc.slot);
      if (n >= 0) list.nameSlots.splice(n, 1);
      if (list.docs.length === 0) {
        this.postings.delete(term);
        this.vocabularyDirty = true;
      }
    }
    this.freeSlots.push(doc.slot);
    this.forgetEntry(doc);
  }

  private upsert(row: DocumentRow): void {
    const old = this.byName.get(row.server_name);
    if (old) this.deleteDoc(old);
    this.insertDoc(this.makeDoc(row));
    this.shapeDirty = true;
  }

  private remove(name: string): void {
    const old = this.byName.get(name);
    if (!old) return;
    this.deleteDoc(old);
    this.shapeDirty = true;
  }

  /** Rebuilds the derived views after the documents changed (cheap next to a query burst, rare next to reads). */
  private prepare(): void {
    if (this.shapeDirty) {
      this.posSlot = new Int32Array(this.docs.length);
      this.docs.forEach((doc, i) => {
        doc.pos = i;
        this.posSlot[i] = doc.slot;
      });
      const views = [this.byNameLc, this.bySlugLc, this.bySlugKey];
      this.viewSlots = views.map((view) => Int32Array.from(view, (doc) => doc.slot));
      this.viewPositions = views.map((view) => Int32Array.from(view, (doc) => doc.pos));
      this.viewBlockMins = this.viewPositions.map(blockMins);
      this.shapeVersion += 1;
      if (this.mark.length < this.nextSlot) {
        const size = Math.max(this.nextSlot, this.mark.length * 2);
        this.mark = new Uint32Array(size);
        this.best = new Uint8Array(size);
        this.mark2 = new Uint32Array(size);
        this.best2 = new Uint8Array(size);
        this.queryStamp = 0;
      }
      this.shapeDirty = false;
    }
    if (this.vocabularyDirty) {
      this.vocabulary = [...this.postings.keys()].sort(byCodeUnits);
      this.vocabularyLists = this.vocabulary.map((term) => this.postings.get(term)!);
      this.vocabularyLists.forEach((list, id) => (list.id = id));
      this.vocabularyVersion += 1;
      this.vocabularyDirty = false;
      this.countsDirty = true;
    }
    if (this.countsDirty) {
      const lists = this.vocabularyLists;
      const before = new Int32Array(lists.length + 1);
      for (let i = 0; i < lists.length; i++) before[i + 1] = before[i]! + lists[i]!.docs.length;
      this.postingsBefore = before;
      this.countsDirty = false;
    }
  }

  // --- Queries ---

  /**
   * One page of `GET /v0.1/servers?search=…&version=latest`, the bytes serverListJson writes, or undefined when
   * memory cannot answer it (not built, stale, a local write being applied, a filter it does not hold): the SQL
   * search then answers.
   *
   * The page is spliced from entries encoded once, and its ETag is a digest of what it is made of (each entry's
   * digest, and the text between them) rather than of its 20–30 KB: the same parts make the same bytes.
   */
  async page(filter: ListFilter, extraMeta?: MetaProvider): Promise<EncodedBody | undefined> {
    const page = this.rankedPage(filter);
    if (!page) return undefined;
    const epoch = this.localEpoch;
    const shown = page.hits.slice(0, filter.limit);
    const missing = shown.filter((h) => h.doc.entry === undefined).map((h) => h.doc);
    if (missing.length > 0) {
      const rows = await this.reads.latestOf(missing.map((d) => d.name));
      // A local write while reading: its names may have changed under the page.
      if (epoch !== this.localEpoch || !this.answering) return undefined;
      const byName = new Map(rows.map((r) => [r.name, r]));
      for (const doc of missing) {
        const row = byName.get(doc.name);
        // Another process wrote in between: SQL answers until the poll notices and the index is rebuilt.
        if (!row || row.version !== doc.version || row.status !== doc.status) return undefined;
        this.remember(doc, row);
      }
      // A tiny entry budget evicted part of the page while the rest was remembered.
      if (shown.some((h) => h.doc.entry === undefined)) return undefined;
    }
    const parts: Buffer[] = [PAGE_HEAD];
    // Digests and JSON text, joined by newlines, which JSON text never holds: one recipe, one page.
    const recipe: string[] = [];
    shown.forEach((hit, i) => {
      const entry = hit.doc.entry!;
      const extra = extraMeta?.(hit.doc.name);
      if (i > 0) parts.push(COMMA);
      parts.push(entry.json, extra ? Buffer.from(`,${extra}}}`) : ENTRY_TAIL);
      recipe.push(entry.digest, extra ?? '');
    });
    const last = shown.at(-1);
    const cursor =
      page.hits.length > filter.limit && last
        ? `"nextCursor":${JSON.stringify(encodeRankCursor({ rank: last.rank, name: last.doc.name, version: last.doc.version }, filter.search!))},`
        : '';
    const tail = `],"metadata":{${cursor}"count":${shown.length}}}`;
    parts.push(Buffer.from(tail));
    recipe.push(tail);
    return { body: Buffer.concat(parts), etag: `"${hash('sha1', recipe.join('\n'), 'base64url')}"` };
  }

  private remember(doc: Doc, row: ServerVersion): void {
    // The entry without its two closing braces: health `_meta` is spliced in at response time.
    const json = Buffer.from(serverResponseJson(row).slice(0, -2));
    this.forgetEntry(doc);
    doc.entry = { json, digest: hash('sha1', json, 'base64url') };
    this.entryBytes += json.length;
    this.entryCount += 1;
    this.entryQueue.push(doc);
    // First in, first out: entries are cheap to make again, and a full index's entries fit the default budget.
    while (this.entryBytes > this.maxEntryBytes && this.entryQueue.length > 0)
      this.forgetEntry(this.entryQueue.shift()!);
    // Reloaded documents leave their old selves in the queue: drop them once they outnumber the live entries.
    if (this.entryQueue.length > 2 * this.entryCount + 1024) {
      this.entryQueue = this.entryQueue.filter((d) => d.entry !== undefined && this.byName.get(d.name) === d);
    }
  }

  private forgetEntry(doc: Doc): void {
    if (!doc.entry) return;
    this.entryBytes -= doc.entry.json.length;
    this.entryCount -= 1;
    doc.entry = undefined;
  }

  /**
   * The first `limit + 1` results of a ranked search in (rank, name) order after the cursor, or undefined when
   * memory does not answer this request.
   */
  rankedPage(filter: ListFilter): { hits: Hit[] } | undefined {
    const search = filter.search;
    if (search === undefined || !this.answers(filter)) return undefined;
    const cursor = filter.cursor;
    if (cursor !== undefined && (cursor.rank === undefined || cursor.version === undefined)) return undefined;
    this.prepare();
    const query = this.plan(search);
    const want = filter.limit + 1;
    const accept = this.filterTest(filter);
    const after = cursor ? cursorTest(cursor) : () => true;
    const dense =
      query.words.length > 0 && query.words.every((w) => w.typos.length === 0 && w.postings >= DENSE_POSTINGS);
    if (dense && (cursor?.rank === undefined || cursor.rank <= RANK.nameWords)) {
      const hits = this.walkTiers(query, want, accept, after, cursor);
      if (hits) return { hits };
    }
    return { hits: this.evaluateAll(query, want, accept, after) };
  }

  private plan(search: string): Query {
    const words = queryWords(search).map((word) => {
      const [from, to] = this.prefixRange(word);
      const postings = this.postingsBefore[to]! - this.postingsBefore[from]!;
      const typos: string[] = [];
      if (word.length >= MIN_TYPO_WORD_LENGTH && postings === 0) {
        for (const variant of typoVariants(word, this.longestKnownPrefix(word))) {
          if (this.postings.has(variant)) typos.push(variant);
        }
        typos.sort(byCodeUnits);
      }
      return { word, from, to, typos, typoIds: typos.map((t) => this.postings.get(t)!.id), postings };
    });
    words.sort((a, b) => a.postings - b.postings || byCodeUnits(a.word, b.word));
    return {
      search,
      searchLower: search.toLowerCase(),
      folded: foldName(search),
      key: queryWords(search).join(' '),
      words,
    };
  }

  private prefixRange(word: string): [number, number] {
    return [lowerBoundOf(this.vocabulary, word), lowerBoundOf(this.vocabulary, word + TOP)];
  }

  /** The length of the longest prefix of `word` that some vocabulary word starts with. */
  private longestKnownPrefix(word: string): number {
    let length = 0;
    while (length < word.length) {
      const prefix = word.slice(0, length + 1);
      const at = lowerBoundOf(this.vocabulary, prefix);
      if (at === this.vocabulary.length || !this.vocabulary[at]!.startsWith(prefix)) break;
      length += 1;
    }
    return length;
  }

  /** Tiers 0–2 of `doc` (name keys alone), or undefined. */
  private nameTier(q: Query, doc: Doc): number | undefined {
    if (doc.nameLc === q.folded) return RANK.exactName;
    if (doc.slugLc === q.folded || (q.key !== '' && doc.slugKey === q.key)) return RANK.exactSlug;
    if (doc.nameLc.startsWith(q.folded) || doc.slugLc.startsWith(q.folded)) return RANK.namePrefix;
    if (q.key !== '' && doc.slugKey.startsWith(q.key)) return RANK.namePrefix;
    return undefined;
  }

  /** The worst of the words' best fields in `doc`, or undefined when a word is not in it. */
  private worstField(q: Query, doc: Doc): number | undefined {
    if (q.words.length === 0) return undefined;
    let worst = 0;
    for (const w of q.words) {
      const best = bestField(this.idsOf(doc), doc.fields, w);
      if (best === NO_FIELD) return undefined;
      if (best > worst) worst = best;
    }
    return worst;
  }

  /** The rank SQL gives `doc` (undefined: not a result), from its candidate facts. */
  /** `substring` (the name contains the query) is looked up only when the rank depends on it, if not given. */
  private rankFrom(q: Query, doc: Doc, worst: number | undefined, substring?: boolean): number | undefined {
    if (worst === undefined && !substring) return undefined;
    const tier = this.nameTier(q, doc);
    if (tier !== undefined) return tier;
    if (worst === 0) return RANK.nameWords;
    if (substring ?? doc.nameLower.includes(q.searchLower)) return RANK.nameSubstring;
    if (worst === 1) return RANK.titleWords;
    if (worst === 2) return RANK.descriptionWords;
    return RANK.otherWords;
  }

  private rankOf(q: Query, doc: Doc): number | undefined {
    const substring = doc.nameLower.includes(q.searchLower);
    // Tiers 0–2 only need to know the document is a result: its name holding the query settles that.
    if (substring) {
      const tier = this.nameTier(q, doc);
      if (tier !== undefined) return tier;
    }
    return this.rankFrom(q, doc, this.worstField(q, doc), substring);
  }

  /**
   * Common queries: tiers 0–2 from the name keys, then tier 3 by walking names in order, stopping when the page
   * is full. Undefined when the window ends first (the full evaluation then answers).
   */
  private walkTiers(
    q: Query,
    want: number,
    accept: (doc: Doc) => boolean,
    after: (rank: number, doc: Doc) => boolean,
    cursor: ListCursor | undefined,
  ): Hit[] | undefined {
    const hits: Hit[] = [];
    const cursorRank = cursor?.rank;
    if (cursorRank === undefined || cursorRank <= RANK.namePrefix) {
      const heads = this.nameKeyRanges(q, false);
      if (heads.count <= HEADS_SORT_LIMIT) {
        const found: Hit[] = [];
        for (const doc of heads.docs) {
          const rank = this.rankOf(q, doc);
          if (rank !== undefined && rank <= RANK.namePrefix && accept(doc) && after(rank, doc)) {
            found.push({ doc, rank });
          }
        }
        found.sort((a, b) => a.rank - b.rank || a.doc.pos - b.doc.pos);
        hits.push(...found.slice(0, want));
      } else {
        const exact: Hit[] = [];
        for (const doc of this.nameKeyRanges(q, true).docs) {
          const rank = this.rankOf(q, doc);
          if (rank !== undefined && rank <= RANK.exactSlug && accept(doc) && after(rank, doc))
            exact.push({ doc, rank });
        }
        exact.sort((a, b) => a.rank - b.rank || a.doc.pos - b.doc.pos);
        hits.push(...exact.slice(0, want));
        if (hits.length < want) {
          // Thousands of names start with the query: a short walk in name order often fills the page; if not,
          // mark them (three index ranges) and scan the marks in name order.
          const test = (doc: Doc) => {
            const rank = this.rankOf(q, doc);
            if (rank === RANK.namePrefix && accept(doc) && after(rank, doc)) hits.push({ doc, rank });
          };
          let i = cursorRank === RANK.namePrefix ? this.positionAfter(cursor!.name) : 0;
          const walk = () => {
            const end = Math.min(this.docs.length, i + NAME_WALK);
            for (; i < end && hits.length < want; i++) {
              if (this.nameTier(q, this.docs[i]!) === RANK.namePrefix) test(this.docs[i]!);
            }
          };
          walk();
          if (hits.length < want && i < this.docs.length) {
            // The matches may begin further on (names sharing a long prefix): jump to the first of them.
            i = Math.max(i, this.firstNameKeyPosition(q));
            walk();
          }
          if (hits.length < want && i < this.docs.length) {
            const marked = this.markNameKeyRanges(q);
            const { mark, posSlot, docs } = this;
            for (; i < docs.length && hits.length < want; i++) {
              if (mark[posSlot[i]!] === marked && this.nameTier(q, docs[i]!) === RANK.namePrefix) test(docs[i]!);
            }
          }
        }
      }
    }
    if (hits.length < want) {
      const from = cursorRank === RANK.nameWords ? this.positionAfter(cursor!.name) : 0;
      // The names holding the first (rarest) word, in name order, tested for the others until the page is full.
      for (const position of this.namesWithWord(q.words[0]!.word, from)) {
        const doc = this.docs[position]!;
        if (!this.allWordsInName(q, doc) || this.nameTier(q, doc) !== undefined) continue;
        if (accept(doc) && after(RANK.nameWords, doc)) hits.push({ doc, rank: RANK.nameWords });
        if (hits.length === want) return hits;
      }
      // Every name was looked at and the page is still not full: lower tiers follow, which the full evaluation ranks.
      return undefined;
    }
    return hits;
  }

  /**
   * Positions in name order, ascending from `from`, of the names holding a word that starts with `prefix`: a merge
   * of the sorted positions of each such word, so a page costs what it shows, not what the word matches.
   */
  private *namesWithWord(prefix: string, from: number): Generator<number> {
    const [first, end] = this.prefixRange(prefix);
    const lists: Int32Array[] = [];
    const next: number[] = [];
    for (let t = first; t < end; t++) {
      const positions = this.namePositionsOf(this.vocabularyLists[t]!);
      const at = lowerBoundOf(positions, from);
      if (at < positions.length) {
        lists.push(positions);
        next.push(at);
      }
    }
    let previous = -1;
    for (;;) {
      let best = -1;
      for (let l = 0; l < lists.length; l++) {
        if (next[l]! < lists[l]!.length && (best === -1 || lists[l]![next[l]!]! < lists[best]![next[best]!]!)) best = l;
      }
      if (best === -1) return;
      const position = lists[best]![next[best]!++]!;
      // A name holding two words with the prefix is in both lists.
      if (position !== previous) yield position;
      previous = position;
    }
  }

  private namePositionsOf(list: Postings): Int32Array {
    if (list.namePositionsVersion !== this.shapeVersion) {
      list.namePositions = Int32Array.from(list.nameSlots, (slot) => this.slotDocs[slot]!.pos).sort();
      list.namePositionsVersion = this.shapeVersion;
    }
    return list.namePositions;
  }

  /** The first position in name order whose name keys (name, slug, slug words) may start with the query. */
  private firstNameKeyPosition(q: Query): number {
    let first = this.docs.length;
    this.forNameKeyRanges(q, (r, from, to) => {
      first = Math.min(first, rangeMin(this.viewPositions[r]!, this.viewBlockMins[r]!, from, to));
    });
    return first;
  }

  /** Each query word starts a word of the name (field 0): the name-words tier, tiers 0–2 aside. */
  private allWordsInName(q: Query, doc: Doc): boolean {
    const ids = this.idsOf(doc);
    for (const w of q.words) {
      let found = false;
      for (let i = lowerBoundOf(ids, w.from); i < ids.length && ids[i]! < w.to && !found; i++) {
        found = doc.fields[i] === FIELD_NAME;
      }
      if (!found) return false;
    }
    return true;
  }

  private idsOf(doc: Doc): Int32Array {
    if (doc.idsVersion !== this.vocabularyVersion) {
      doc.ids = Int32Array.from(doc.terms, (term) => this.postings.get(term)!.id);
      doc.idsVersion = this.vocabularyVersion;
    }
    return doc.ids;
  }

  /** Documents whose name keys equal (`exactOnly`) or start with the query: candidates of tiers 0–2. */
  private nameKeyRanges(q: Query, exactOnly: boolean): { docs: Doc[]; count: number } {
    const ranges: [Doc[], (d: Doc) => string, string][] = [
      [this.byNameLc, (d) => d.nameLc, q.folded],
      [this.bySlugLc, (d) => d.slugLc, q.folded],
    ];
    if (q.key !== '') ranges.push([this.bySlugKey, (d) => d.slugKey, q.key]);
    let count = 0;
    const bounds = ranges.map(([sorted, key, value]) => {
      const from = lowerBound(sorted, value, key);
      const to = exactOnly ? lowerBound(sorted, `${value}\u0000`, key) : lowerBound(sorted, value + TOP, key);
      count += to - from;
      return [from, to] as const;
    });
    if (!exactOnly && count > HEADS_SORT_LIMIT) return { docs: [], count };
    const stamp = this.nextQueryStamp();
    const docs: Doc[] = [];
    ranges.forEach(([sorted], r) => {
      const [from, to] = bounds[r]!;
      for (let i = from; i < to; i++) {
        const doc = sorted[i]!;
        if (exactOnly && key(ranges[r]!, doc) !== ranges[r]![2]) continue;
        if (this.mark[doc.slot] === stamp) continue;
        this.mark[doc.slot] = stamp;
        docs.push(doc);
      }
    });
    return { docs, count };
  }

  /** Marks (in `mark`, with the returned stamp) the documents whose name keys start with the query. */
  private markNameKeyRanges(q: Query): number {
    const stamp = this.nextQueryStamp();
    const mark = this.mark;
    this.forNameKeyRanges(q, (r, from, to) => {
      const slots = this.viewSlots[r]!;
      for (let i = from; i < to; i++) mark[slots[i]!] = stamp;
    });
    return stamp;
  }

  /** Calls `visit` with each view (0 name, 1 slug, 2 slug words) and its range of keys starting with the query. */
  private forNameKeyRanges(q: Query, visit: (view: number, from: number, to: number) => void): void {
    const ranges: [Doc[], (d: Doc) => string, string][] = [
      [this.byNameLc, (d) => d.nameLc, q.folded],
      [this.bySlugLc, (d) => d.slugLc, q.folded],
    ];
    if (q.key !== '') ranges.push([this.bySlugKey, (d) => d.slugKey, q.key]);
    ranges.forEach(([sorted, key, value], r) =>
      visit(r, lowerBound(sorted, value, key), lowerBound(sorted, value + TOP, key)),
    );
  }

  /** Index in name order of the first document named after `name`. */
  private positionAfter(name: string): number {
    return lowerBound(this.docs, `${name}\u0000`, (d) => d.name);
  }

  private nextQueryStamp(): number {
    this.queryStamp += 1;
    if (this.queryStamp === 0xffffffff) {
      this.mark.fill(0);
      this.mark2.fill(0);
      this.queryStamp = 1;
    }
    return this.queryStamp;
  }

  /** Every candidate (all words, or the name contains the query) ranked, then the best `want` after the cursor. */
  private evaluateAll(
    q: Query,
    want: number,
    accept: (doc: Doc) => boolean,
    after: (rank: number, doc: Doc) => boolean,
  ): Hit[] {
    const { stamp, candidates } = this.wordMatches(q);
    // Results by rank: only the ranks the page reaches are put in name order.
    const byRank: Doc[][] = [];
    const consider = (doc: Doc, worst: number | undefined, substring?: boolean) => {
      if (!accept(doc)) return;
      const rank = this.rankFrom(q, doc, worst, substring);
      if (rank !== undefined && after(rank, doc)) (byRank[rank] ??= []).push(doc);
    };
    for (const doc of candidates) {
      if (this.mark[doc.slot] !== stamp) continue;
      consider(doc, this.best[doc.slot]);
    }
    const inWords = (slot: number) => q.words.length > 0 && this.mark[slot] === stamp;
    for (const doc of this.namesContaining(q.searchLower, inWords)) consider(doc, undefined, true);
    const hits: Hit[] = [];
    for (let rank = 0; rank < byRank.length && hits.length < want; rank++) {
      const docs = byRank[rank];
      if (!docs) continue;
      for (const doc of firstInNameOrder(docs, want - hits.length)) hits.push({ doc, rank });
    }
    return hits;
  }

  /**
   * The documents holding every query word (in any field, by prefix or typo): those of `candidates` still marked
   * with `stamp` in `mark`, with the worst of the words' best fields in `best`.
   */
  private wordMatches(q: Query): { stamp: number; candidates: Doc[] } {
    const stamp = this.nextQueryStamp();
    let candidates: Doc[] = [];
    q.words.forEach((w, index) => {
      const into = index === 0 ? this.mark : this.mark2;
      const bestOf = index === 0 ? this.best : this.best2;
      const wordStamp = index === 0 ? stamp : this.nextQueryStamp();
      const found: Doc[] = [];
      const visit = (list: Postings) => {
        const { slots, fields } = list;
        for (let i = 0; i < slots.length; i++) {
          const slot = slots[i]!;
          // Later words only count for the documents every earlier word matched.
          if (index > 0 && this.mark[slot] !== stamp) continue;
          const field = fields[i]!;
          if (into[slot] !== wordStamp) {
            into[slot] = wordStamp;
            bestOf[slot] = field;
            found.push(list.docs[i]!);
          } else if (field < bestOf[slot]!) bestOf[slot] = field;
        }
      };
      if (index > 0 && candidates.length * 16 < w.postings) {
        // Few candidates left and a common word: test their own words rather than walk its postings.
        const kept: Doc[] = [];
        for (const doc of candidates) {
          const best = bestField(this.idsOf(doc), doc.fields, w);
          if (best === NO_FIELD) this.mark[doc.slot] = 0;
          else {
            if (best > this.best[doc.slot]!) this.best[doc.slot] = best;
            kept.push(doc);
          }
        }
        candidates = kept;
        return;
      }
      const [from, to] = this.prefixRange(w.word);
      for (let i = from; i < to; i++) visit(this.vocabularyLists[i]!);
      for (const typo of w.typos) visit(this.postings.get(typo)!);
      if (index === 0) candidates = found;
      else {
        const kept: Doc[] = [];
        for (const doc of found) {
          if (this.best2[doc.slot]! > this.best[doc.slot]!) this.best[doc.slot] = this.best2[doc.slot]!;
          kept.push(doc);
        }
        // Candidates this word did not reach drop out (their mark stays, so clear it).
        for (const doc of candidates) if (this.mark2[doc.slot] !== wordStamp) this.mark[doc.slot] = 0;
        candidates = kept;
      }
    });
    return { stamp, candidates };
  }

  /**
   * Facet counts of everything `GET /v0.1/servers` returns for `filter` (every page, latest versions), as
   * SearchIndexStore counts them, or undefined when memory does not answer this request (then SQL does). Each
   * document points at its shape (status and facet values) and namespace, shared by many, so counting is one
   * increment per matched server.
   */
  facets(filter: Omit<ListFilter, 'limit' | 'cursor'>, topNamespaces: number): FacetCounts | undefined {
    if (!this.answers(filter)) return undefined;
    this.prepare();
    const accept = this.filterTest(filter);
    const stamp = this.nextQueryStamp();
    const shapes: Tally[] = [];
    const namespaces: Tally[] = [];
    const tally = (counter: Tally, into: Tally[]) => {
      if (counter.stamp !== stamp) {
        counter.stamp = stamp;
        counter.count = 0;
        into.push(counter);
      }
      counter.count += 1;
    };
    const count = (doc: Doc) => {
      if (!accept(doc)) return;
      tally(doc.shape, shapes);
      if (doc.namespace.value !== '') tally(doc.namespace, namespaces);
    };
    if (filter.search === undefined) this.docs.forEach(count);
    else {
      const q = this.plan(filter.search);
      const words = this.wordMatches(q);
      const inWords = (slot: number) => q.words.length > 0 && this.mark[slot] === words.stamp;
      for (const doc of words.candidates) if (inWords(doc.slot)) count(doc);
      this.namesContaining(q.searchLower, inWords).forEach(count);
    }
    const top = firstOf(namespaces, topNamespaces, (a, b) => b.count - a.count || byBytes(a, b)).map((n) => ({
      namespace: n.value,
      n: n.count,
    }));
    return facetCountsOf(
      shapes.map((shape) => ({ status: shape.value, facet_key: shape.facetKey!, n: shape.count })),
      top,
    );
  }

  /** Whether memory answers a request with this filter (before the query itself is looked at). */
  private answers(filter: Omit<ListFilter, 'limit'>): boolean {
    if (!this.answering || filter.version !== 'latest' || filter.updatedSince !== undefined) return false;
    const search = filter.search;
    if (search !== undefined && NON_ASCII.test(search)) {
      // Case-insensitive matching of non-ASCII text differs between the databases; with ASCII names only, a
      // search that stays non-ASCII in lower case contains no name on either.
      if (!this.allNamesAscii || !NON_ASCII.test(search.toLowerCase())) return false;
    }
    return true;
  }

  /**
   * Documents whose name contains `needle` (lower case), but for the slots `skip` names (tested first, so those are
   * never read): the rarest of its trigrams' names, verified.
   */
  private namesContaining(needle: string, skip: (slot: number) => boolean): Doc[] {
    if (needle.length < 3) return this.docs.filter((doc) => !skip(doc.slot) && doc.nameLower.includes(needle));
    let rarest: number[] | undefined;
    for (const trigram of trigramsOf(needle)) {
      const list = this.trigrams.get(trigram);
      if (!list) return [];
      if (!rarest || list.length < rarest.length) rarest = list;
    }
    const out: Doc[] = [];
    for (const slot of rarest!) {
      if (skip(slot)) continue;
      const doc = this.slotDocs[slot]!;
      if (doc.nameLower.includes(needle)) out.push(doc);
    }
    return out;
  }

  private filterTest(filter: Omit<ListFilter, 'limit' | 'cursor'>): (doc: Doc) => boolean {
    const tests: ((doc: Doc) => boolean)[] = [];
    if (!filter.includeDeleted) tests.push((d) => d.status !== 'deleted');
    if (filter.status !== undefined) {
      const status = filter.status;
      tests.push((d) => d.status === status);
    }
    const facet = (name: string, value: string) => {
      const wanted = `${name}\u0000${value}`;
      tests.push((d) => d.facets.includes(wanted));
    };
    if (filter.transport !== undefined) facet('transport', filter.transport);
    if (filter.registryType !== undefined) facet('registry_type', filter.registryType.toLowerCase());
    if (filter.hasRemote !== undefined) facet('has_remote', String(filter.hasRemote));
    if (filter.hasPackage !== undefined) facet('has_package', String(filter.hasPackage));
    if (filter.namespace !== undefined) {
      const ns = filter.namespace.toLowerCase();
      const [from, to] = /[./]$/.test(ns) ? [ns, ns + TOP] : [`${ns}.`, `${ns}0`];
      tests.push((d) => d.nameLc >= from && d.nameLc < to);
    }
    if (filter.names !== undefined) {
      const set = new Set(filter.names.names);
      const exclude = filter.names.exclude;
      tests.push((d) => set.has(d.name) !== exclude);
    }
    return (doc) => {
      for (const test of tests) if (!test(doc)) return false;
      return true;
    };
  }
}

function tally(value: string, facetKey?: string): Tally {
  return { value, ...(facetKey !== undefined && { facetKey }), count: 0, stamp: 0, astral: SURROGATE.test(value) };
}

/** UTF-8 byte order of two values, as SQL sorts them: code-unit order unless one holds a surrogate. */
function byBytes(a: Tally, b: Tally): number {
  if (a.astral || b.astral) return Buffer.compare(Buffer.from(a.value), Buffer.from(b.value));
  return byCodeUnits(a.value, b.value);
}

/** The first `count` of `items` in `order`, in that order: a bounded insertion, not a full sort. */
function firstOf<T>(items: readonly T[], count: number, order: (a: T, b: T) => number): T[] {
  const kept: T[] = [];
  for (const item of items) {
    if (kept.length === count && order(item, kept[count - 1]!) >= 0) continue;
    let at = kept.length;
    while (at > 0 && order(kept[at - 1]!, item) > 0) at--;
    kept.splice(at, 0, item);
    if (kept.length > count) kept.pop();
  }
  return kept;
}

/** The `count` documents of `docs` first in name order, in that order. */
function firstInNameOrder(docs: Doc[], count: number): Doc[] {
  if (docs.length <= count * 2) return docs.sort((a, b) => a.pos - b.pos).slice(0, count);
  return firstOf(docs, count, (a, b) => a.pos - b.pos);
}

function key(range: [Doc[], (d: Doc) => string, string], doc: Doc): string {
  return range[1](doc);
}

/** The distinct three-character sequences of `text`. */
function trigramsOf(text: string): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + 3 <= text.length; i++) out.add(text.slice(i, i + 3));
  return out;
}

function sortedInsert(sorted: Doc[], doc: Doc, key: (d: Doc) => string): void {
  sorted.splice(lowerBound(sorted, key(doc), key), 0, doc);
}

function sortedRemove(sorted: Doc[], doc: Doc, key: (d: Doc) => string): void {
  const value = key(doc);
  for (let i = lowerBound(sorted, value, key); i < sorted.length && key(sorted[i]!) === value; i++) {
    if (sorted[i] === doc) {
      sorted.splice(i, 1);
      return;
    }
  }
}

/** (rank, name, version) > the cursor's, as the SQL row comparison. */
function cursorTest(cursor: ListCursor): (rank: number, doc: Doc) => boolean {
  const { rank: cursorRank, name, version } = cursor as Required<ListCursor>;
  return (rank, doc) =>
    rank > cursorRank || (rank === cursorRank && (doc.name > name || (doc.name === name && doc.version > version!)));
}
