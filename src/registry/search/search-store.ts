import { sql } from 'kysely';
import type { RawBuilder, SqlBool } from 'kysely';
import type { Database, Queryable } from '../../platform/storage/database.js';
import type { WharfSchema } from '../../platform/storage/schema.js';
import type { ListFilter } from '../model.js';
import { MIN_TYPO_WORD_LENGTH, facetPairs, foldName, queryWords, searchDocument, typoVariants } from './text.js';

/** Above every character, so `term >= w AND term < w || TOP` is "starts with w" as an index range. */
const TOP = '\u{10FFFF}';

/**
 * Ranking tiers, best first. A result's rank is the first tier it satisfies; ties are broken by name, then version.
 * The words of the query are matched as prefixes of indexed words (and by one typo, see `plan`); a word's field is
 * the best field it is found in, and a server's field is the worst of its words' fields.
 */
export const RANK = {
  exactName: 0,
  exactSlug: 1,
  namePrefix: 2,
  nameWords: 3,
  nameSubstring: 4,
  titleWords: 5,
  descriptionWords: 6,
  otherWords: 7,
} as const;

export interface WordPlan {
  word: string;
  /** Indexed words at one typo from `word`, used only when no indexed word starts with `word`. */
  typos: string[];
  /** Index entries the word matches, up to DENSE_POSTINGS: the rarest word drives the query. */
  postings: number;
}

/** What a search_documents row holds for ranking (the in-memory index loads the same). */
export const DOCUMENT_COLUMNS = [
  'server_name',
  'version',
  'name_lc',
  'slug_lc',
  'slug_key',
  'status',
  'namespace',
  'facet_key',
  'words',
] as const;

/** Names refreshed together: a few statements per batch, each under the databases' bound-parameter limits. */
const REFRESH_BATCH = 200;
/** A word matching this many index entries is "dense": counting stops there. */
const DENSE_POSTINGS = 2000;
/** How many documents (in name order) the dense fast path looks at before giving up. */
const DENSE_WINDOW = 10_000;
/** Up to this many name-prefix matches, the fast path sorts them; beyond, it walks the names in order. */
const HEADS_SORT_LIMIT = 300;

/** A search query prepared against the current vocabulary; `words` rarest first. */
export interface SearchPlan {
  search: string;
  folded: string;
  /** The query's words in the order typed, joined by spaces (compared with a slug's words). */
  key: string;
  words: WordPlan[];
}

export interface FacetCounts {
  total: number;
  counts: { facet: string; value: string; count: number }[];
  namespaces: { value: string; count: number }[];
}

type Sql = RawBuilder<unknown>;

/** The range of folded names under a `namespace` filter value. */
function namespaceRange(namespace: string): [string, string] {
  const ns = namespace.toLowerCase();
  // `acme` covers `acme/…` and `acme.…` ('.' and '/' are adjacent, '0' follows '/'); `acme.` is a plain prefix.
  return /[./]$/.test(ns) ? [ns, ns + TOP] : [`${ns}.`, `${ns}0`];
}

const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Facet counts of latest versions from their shapes (documents counted per status and facet_key) and the top
 * namespaces, in (facet, value) byte order, as the SQL grouping of every-version counts returns them: the JSON
 * answer (and its ETag) does not depend on which way it was counted.
 */
export function facetCountsOf(
  shapes: readonly { status: string; facet_key: string; n: number | string }[],
  namespaces: readonly { namespace: string; n: number | string }[],
): FacetCounts {
  const counts = new Map<string, { facet: string; value: string; count: number }>();
  const add = (facet: string, value: string, n: number) => {
    const key = `${facet}\u0000${value}`;
    const entry = counts.get(key);
    if (entry) entry.count += n;
    else counts.set(key, { facet, value, count: n });
  };
  let total = 0;
  for (const row of shapes) {
    const n = Number(row.n);
    total += n;
    add('status', row.status, n);
    for (const [facet, value] of facetPairs(row.facet_key)) add(facet, value, n);
  }
  const bytes = (text: string) => Buffer.from(text, 'utf8');
  const ordered = [...counts.values()].sort(
    (a, b) => Buffer.compare(bytes(a.facet), bytes(b.facet)) || Buffer.compare(bytes(a.value), bytes(b.value)),
  );
  return { total, counts: ordered, namespaces: namespaces.map((r) => ({ value: r.namespace, count: Number(r.n) })) };
}

/**
 * SQL of the search index: one row per server in search_documents (its latest version's name keys), its words
 * with their best field in search_terms (an inverted index as a B-tree: prefix = index range) and its filter
 * values in search_facets. Identical tables and queries on SQLite and PostgreSQL; the name-substring fallback
 * uses each dialect's trigram index (FTS5, pg_trgm).
 */
export class SearchIndexStore {
  constructor(
    private readonly database: Database,
    private readonly q: Queryable,
    /** Index entries from which a word takes the dense fast path; tests lower it to exercise that path. */
    private readonly denseThreshold = DENSE_POSTINGS,
    /** How many documents the fast path walks (and how many name-prefix matches it sorts) before giving up. */
    private readonly denseWindow = DENSE_WINDOW,
  ) {}

  /** Brings the index rows of `name` in line with its latest version (see refreshMany). */
  async refresh(name: string): Promise<void> {
    await this.refreshMany([name]);
  }

  /**
   * Brings the index rows of each of `names` in line with its latest version (or removes them when no version is
   * left), with a few statements per batch of names rather than per name (a mirrored page, the rebuild at start).
   * Only what changed is written: a new version or a status change with the same text touches the document row
   * alone, which keeps publishes cheap. A server without a document row has no term or facet rows either.
   */
  async refreshMany(names: readonly string[]): Promise<void> {
    const unique = [...new Set(names)];
    for (let i = 0; i < unique.length; i += REFRESH_BATCH) await this.refreshBatch(unique.slice(i, i + REFRESH_BATCH));
  }

  private async refreshBatch(names: string[]): Promise<void> {
    if (names.length === 0) return;
    // PostgreSQL's text form keeps the microseconds that a JavaScript Date would round away, so the copy compares
    // with `updated_since` exactly like the servers row.
    const updatedAt = () =>
      (this.database.dialect === 'postgres' ? sql<string>`updated_at::text` : sql<string>`updated_at`).as('updated_at');
    const latestRows = await this.q
      .selectFrom('servers')
      .select(['server_name', 'version', 'value', 'status', updatedAt()])
      .where('server_name', 'in', names)
      .where(this.database.dialect === 'sqlite' ? sql<SqlBool>`is_latest = 1` : sql<SqlBool>`is_latest`)
      .execute();
    const knownRows = await this.q
      .selectFrom('search_documents')
      .select([...DOCUMENT_COLUMNS, updatedAt()])
      .where('server_name', 'in', names)
      .execute();
    const latestOf = new Map(latestRows.map((r) => [r.server_name, r]));
    const knownOf = new Map(knownRows.map((r) => [r.server_name, r]));

    const gone: string[] = [];
    const newDocuments: WharfSchema['search_documents'][] = [];
    const changedDocuments: WharfSchema['search_documents'][] = [];
    const staleTerms: string[] = [];
    const terms: WharfSchema['search_terms'][] = [];
    const staleFacets: string[] = [];
    const facets: WharfSchema['search_facets'][] = [];
    for (const name of names) {
      const latest = latestOf.get(name);
      const known = knownOf.get(name);
      if (!latest) {
        if (known) gone.push(name);
        continue;
      }
      const doc = searchDocument(name, latest.version, latest.value);
      const row = {
        server_name: name,
        version: doc.version,
        name_lc: doc.nameLc,
        slug_lc: doc.slugLc,
        slug_key: doc.slugKey,
        status: latest.status,
        updated_at: latest.updated_at,
        namespace: doc.namespace,
        facet_key: doc.facetKey,
        words: doc.words,
      };
      if (!known) newDocuments.push(row);
      else if ((Object.keys(row) as (keyof typeof row)[]).some((column) => row[column] !== known[column])) {
        changedDocuments.push(row);
      }
      // `words` lists every term with its field, so equal words mean equal term rows.
      if (known?.words !== doc.words) {
        if (known) staleTerms.push(name);
        for (const [term, field] of doc.terms) terms.push({ term, server_name: name, field });
      }
      if (known?.facet_key !== doc.facetKey || known.namespace !== doc.namespace) {
        if (known) staleFacets.push(name);
        for (const f of doc.facets) facets.push({ ...f, server_name: name });
      }
    }

    if (gone.length > 0) {
      staleTerms.push(...gone);
      staleFacets.push(...gone);
      await this.q.deleteFrom('search_documents').where('server_name', 'in', gone).execute();
    }
    if (staleTerms.length > 0) await this.q.deleteFrom('search_terms').where('server_name', 'in', staleTerms).execute();
    if (staleFacets.length > 0) {
      await this.q.deleteFrom('search_facets').where('server_name', 'in', staleFacets).execute();
    }
    for (const { server_name, ...row } of changedDocuments) {
      await this.q.updateTable('search_documents').set(row).where('server_name', '=', server_name).execute();
    }
    // Chunks keep every statement under SQLite's bound-parameter limit whatever the documents hold.
    for (let i = 0; i < newDocuments.length; i += 100) {
      await this.q
        .insertInto('search_documents')
        .values(newDocuments.slice(i, i + 100))
        .execute();
    }
    for (let i = 0; i < terms.length; i += 300) {
      await this.q
        .insertInto('search_terms')
        .values(terms.slice(i, i + 300))
        .execute();
    }
    for (let i = 0; i < facets.length; i += 300) {
      await this.q
        .insertInto('search_facets')
        .values(facets.slice(i, i + 300))
        .execute();
    }
  }

  /** Names with versions but no index rows (databases written before the index existed). */
  async unindexedNames(limit: number): Promise<string[]> {
    const rows = await this.q
      .selectFrom('server_names as n')
      .select('n.server_name')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('search_documents as d')
              .select('d.server_name')
              .whereRef('d.server_name', '=', 'n.server_name'),
          ),
        ),
      )
      .orderBy('n.server_name')
      .limit(limit)
      .execute();
    return rows.map((r) => r.server_name);
  }

  /**
   * Resolves the query's words against the vocabulary: a word that starts no indexed word may be a typo. Also
   * estimates how many servers each word matches (capped), so the query can start from the rarest word.
   */
  async plan(search: string): Promise<SearchPlan> {
    const words: WordPlan[] = [];
    const typed = queryWords(search);
    for (const word of typed) {
      const plan: WordPlan = { word, typos: [], postings: await this.postingsStartingWith(word) };
      if (word.length >= MIN_TYPO_WORD_LENGTH && plan.postings === 0) {
        const rows = await this.q
          .selectFrom('search_terms')
          .select('term')
          .distinct()
          .where('term', 'in', typoVariants(word))
          .orderBy('term')
          .execute();
        plan.typos = rows.map((r) => r.term);
        plan.postings = plan.typos.length > 0 ? DENSE_POSTINGS : 0;
      }
      words.push(plan);
    }
    words.sort((a, b) => a.postings - b.postings || (a.word < b.word ? -1 : a.word > b.word ? 1 : 0));
    return { search, folded: foldName(search), key: typed.join(' '), words };
  }

  /** Index entries under the prefix `word`, counted up to DENSE_POSTINGS (a bounded index range walk). */
  private async postingsStartingWith(word: string): Promise<number> {
    const row = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM (
        SELECT 1 FROM search_terms WHERE term >= ${word} AND term < ${word + TOP} LIMIT ${DENSE_POSTINGS}) t`.execute(
      this.q,
    );
    return Number(row.rows[0]?.n ?? 0);
  }

  /** The rows of one page of a ranked search, each with its rank. */
  async rankedPage(plan: SearchPlan, filter: ListFilter, columns: readonly string[]) {
    const fast = await this.densePage(plan, filter, columns);
    return fast ?? this.fullRankedPage(plan, filter, columns);
  }

  /**
   * The fast path of dense queries (every word matches thousands of servers, e.g. `mcp`): the page is then almost
   * always filled by the name tiers. Tiers 0–2 come from index lookups on the name keys; tier 3 (every word in the
   * name) from a walk of the documents in name order, bounded to DENSE_WINDOW documents, that stops as soon as the
   * page is full. When the page does not fill that way (or for other listings) it answers undefined and the full
   * ranked query runs: both give the same rows, which the tests check.
   */
  private async densePage(plan: SearchPlan, filter: ListFilter, columns: readonly string[]) {
    const cursor = filter.cursor;
    if (
      plan.words.length === 0 ||
      plan.words.some((w) => w.postings < this.denseThreshold) ||
      filter.version !== 'latest' ||
      (cursor?.rank !== undefined && cursor.rank > RANK.nameWords)
    ) {
      return undefined;
    }
    const predicates = this.rowPredicates(filter);
    const keys: { name: string; rank: number }[] = [];
    const need = () => filter.limit - keys.length;
    const take = (rows: { server_name: string; search_rank: number | string }[]) =>
      keys.push(...rows.map((r) => ({ name: r.server_name, rank: Number(r.search_rank) })));
    /** The first `limit` documents after `from` in name order, among DENSE_WINDOW, that satisfy `condition`. */
    const walk = async (condition: Sql, rank: number, from: string, limit: number) =>
      (
        await sql<{ server_name: string; search_rank: number }>`
          SELECT w.server_name, ${sql.lit(rank)} AS search_rank FROM (
            SELECT server_name FROM search_documents WHERE server_name > ${from}
            ORDER BY server_name LIMIT ${this.denseWindow}
          ) w
          JOIN servers ON servers.server_name = w.server_name
          JOIN search_documents d ON d.server_name = w.server_name
          WHERE ${condition} AND ${predicates}
          ORDER BY w.server_name
          LIMIT ${limit}`.execute(this.q)
      ).rows;
    /** Tiers 0–2 of the documents in `source`, ranked, after the cursor. */
    const ranked = async (source: Sql, maxRank: number) =>
      (
        await sql<{ server_name: string; search_rank: number | string }>`
          SELECT r.server_name, r.search_rank FROM (
            SELECT servers.server_name, ${this.rankExpression(plan, true)} AS search_rank
            FROM (${source}) h
            JOIN servers ON servers.server_name = h.server_name
            JOIN search_documents d ON d.server_name = h.server_name
            WHERE ${predicates}
          ) r
          WHERE r.search_rank <= ${sql.lit(maxRank)}${
            cursor?.rank !== undefined
              ? sql` AND (r.search_rank, r.server_name) > (${cursor.rank}, ${cursor.name})`
              : sql``
          }
          ORDER BY r.search_rank, r.server_name
          LIMIT ${need()}`.execute(this.q)
      ).rows;

    const f = plan.folded;
    const k = plan.key;
    if (cursor?.rank === undefined || cursor.rank <= RANK.namePrefix) {
      const heads = sql`SELECT server_name FROM search_documents WHERE name_lc >= ${f} AND name_lc < ${f + TOP}
        UNION SELECT server_name FROM search_documents WHERE slug_lc >= ${f} AND slug_lc < ${f + TOP}
        UNION SELECT server_name FROM search_documents WHERE slug_key >= ${k} AND slug_key < ${k + TOP}`;
      // A few hundred name-prefix matches are ranked and sorted; more are walked in name order.
      const sortable = Math.min(HEADS_SORT_LIMIT, this.denseWindow);
      const counted = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM (
          SELECT 1 FROM (${heads}) h LIMIT ${sortable + 1}) c`.execute(this.q);
      if (Number(counted.rows[0]?.n ?? 0) <= sortable) {
        take(await ranked(heads, RANK.namePrefix));
      } else {
        // Thousands of names start with the query (`io.github`): exact matches by lookup, prefixes by a walk.
        const exact = sql`SELECT server_name FROM search_documents WHERE name_lc = ${f}
          UNION SELECT server_name FROM search_documents WHERE slug_lc = ${f}
          UNION SELECT server_name FROM search_documents WHERE slug_key = ${k}`;
        if (cursor?.rank === undefined || cursor.rank < RANK.namePrefix) take(await ranked(exact, RANK.exactSlug));
        if (need() > 0) {
          const from = cursor?.rank === RANK.namePrefix ? cursor.name : '';
          const prefixOnly = sql`${this.namePrefixCondition(plan)} AND NOT (${this.exactNameCondition(plan)} OR ${this.exactSlugCondition(plan)})`;
          const wanted = need();
          const prefixed = await walk(prefixOnly, RANK.namePrefix, from, wanted);
          take(prefixed);
          // Prefix matches may continue past the window: only a full page is known to be right.
          if (prefixed.length < wanted) return undefined;
        }
      }
    }
    if (need() > 0) {
      const from = cursor?.rank === RANK.nameWords ? cursor.name : '';
      const inName = plan.words.map(
        (w) =>
          sql`EXISTS (SELECT 1 FROM search_terms t WHERE t.server_name = w.server_name AND t.field = 0 AND ${this.wordMatch(w, sql`t.term`)})`,
      );
      const condition = sql`${sql.join(inName, sql` AND `)} AND NOT (${this.topTierCondition(plan)})`;
      take(await walk(condition, RANK.nameWords, from, need()));
      if (need() > 0) return undefined;
    }
    const select = sql.join(columns.map((c) => sql.ref(`servers.${c}`)));
    const fetched = await sql<Record<string, unknown> & { server_name: string }>`
      SELECT ${select} FROM servers
      WHERE ${predicates} AND servers.server_name IN (${sql.join(keys.map((key) => key.name))})`.execute(this.q);
    const byName = new Map(fetched.rows.map((row) => [row.server_name, row]));
    const page: (Record<string, unknown> & { search_rank: number })[] = [];
    for (const key of keys) {
      const row = byName.get(key.name);
      // Gone between the two reads (a concurrent delete): let the single-statement query answer.
      if (!row) return undefined;
      page.push({ ...row, search_rank: key.rank });
    }
    return page;
  }

  private async fullRankedPage(plan: SearchPlan, filter: ListFilter, columns: readonly string[]) {
    const select = sql.join(columns.map((c) => sql.ref(`servers.${c}`)));
    const outer = sql.join(columns.map((c) => sql.ref(`r.${c}`)));
    const cursor = filter.cursor;
    const after =
      cursor?.rank !== undefined && cursor.version !== undefined
        ? sql`WHERE (r.search_rank, r.server_name, r.version) > (${cursor.rank}, ${cursor.name}, ${cursor.version})`
        : sql``;
    const query = sql<Record<string, unknown> & { search_rank: number | string }>`
      WITH ${this.candidateCtes(plan)}
      SELECT ${outer}, r.search_rank FROM (
        SELECT ${select}, ${this.rankExpression(plan)} AS search_rank
        FROM best b
        JOIN servers ON servers.server_name = b.server_name
        LEFT JOIN search_documents d ON d.server_name = b.server_name
        WHERE ${this.rowPredicates(filter)}
      ) r
      ${after}
      ORDER BY r.search_rank, r.server_name, r.version
      LIMIT ${filter.limit}`;
    const result = await query.execute(this.q);
    return result.rows;
  }

  /** Counts per facet of everything a list request with this filter would return (all pages). */
  async facets(plan: SearchPlan | undefined, filter: ListFilter, topNamespaces: number): Promise<FacetCounts> {
    return filter.version === 'latest'
      ? this.latestFacets(plan, filter, topNamespaces)
      : this.versionFacets(plan, filter, topNamespaces);
  }

  /**
   * Facets of latest versions (what the endpoint counts by default) from search_documents alone, one row per
   * server holding the latest version's status, updated_at and facet values: two aggregates over the matching
   * documents, never a read of `servers`. A sparse query's documents come from its candidates (index ranges); a
   * dense one's (every word matches thousands of servers) from one scan of the documents testing the words in
   * their `words` string, which costs less than gathering and deduplicating tens of thousands of postings.
   */
  private async latestFacets(plan: SearchPlan | undefined, filter: ListFilter, topNamespaces: number) {
    const where = this.documentPredicates(filter);
    const columns = sql`d.status, d.facet_key, d.namespace`;
    let prelude = sql``;
    let source: Sql;
    if (!plan) {
      source = sql`SELECT ${columns} FROM search_documents d WHERE ${where}`;
    } else if (
      plan.words.length > 0 &&
      plan.words.every((w) => w.typos.length === 0 && w.postings >= this.denseThreshold)
    ) {
      const words = plan.words.map((w) => sql`d.words LIKE ${`% ${w.word}%`}`);
      source = sql`SELECT ${columns} FROM search_documents d
        WHERE (${this.nameContains(plan.search)} OR (${sql.join(words, sql` AND `)})) AND ${where}`;
    } else {
      prelude = sql`${this.candidateCtes(plan)}, `;
      source = sql`SELECT ${columns} FROM best b JOIN search_documents d ON d.server_name = b.server_name WHERE ${where}`;
    }
    const byShape = sql`SELECT status, facet_key, COUNT(*) AS n FROM matched GROUP BY status, facet_key`;
    const byNamespace = sql`SELECT namespace, COUNT(*) AS n FROM matched WHERE namespace <> ''
      GROUP BY namespace ORDER BY COUNT(*) DESC, namespace LIMIT ${topNamespaces}`;
    let shapes: { status: string; facet_key: string; n: number | string }[];
    let namespaces: { namespace: string; n: number | string }[];
    if (this.database.dialect === 'postgres') {
      // One statement, the matching documents computed once: PostgreSQL scans and hashes, no index order to keep.
      const rows = await sql<{ part: number; status: string; facet_key: string; namespace: string; n: string }>`
        WITH ${prelude}matched AS MATERIALIZED (${source})
        SELECT 0 AS part, status, facet_key, '' COLLATE "C" AS namespace, n FROM (${byShape}) s
        UNION ALL
        SELECT 1 AS part, '', '', namespace, n FROM (${byNamespace}) t
        ORDER BY part, n DESC, namespace`.execute(this.q);
      shapes = rows.rows.filter((r) => Number(r.part) === 0);
      namespaces = rows.rows.filter((r) => Number(r.part) === 1);
    } else {
      // Two statements, each scanning the covering index ordered like its grouping (no sort).
      const ctes = sql`${prelude}matched AS (${source})`;
      shapes = (await sql<(typeof shapes)[number]>`WITH ${ctes} ${byShape}`.execute(this.q)).rows;
      namespaces = (await sql<(typeof namespaces)[number]>`WITH ${ctes} ${byNamespace}`.execute(this.q)).rows;
    }
    return facetCountsOf(shapes, namespaces);
  }

  /** Facets of every version, or of one version string: from the servers rows. */
  private async versionFacets(
    plan: SearchPlan | undefined,
    filter: ListFilter,
    topNamespaces: number,
  ): Promise<FacetCounts> {
    const matched = plan
      ? sql`${this.candidateCtes(plan)}, matched AS (
          SELECT servers.server_name, servers.status FROM best b
          JOIN servers ON servers.server_name = b.server_name
          WHERE ${this.rowPredicates(filter)})`
      : sql`matched AS (SELECT servers.server_name, servers.status FROM servers WHERE ${this.rowPredicates(filter)})`;
    // CROSS JOIN: SQLite then probes the facets of each matched server (an index seek) instead of scanning every
    // facet row against the matched set; PostgreSQL plans it like an inner join.
    const counts = await sql<{ facet: string; value: string; n: number | string }>`
      WITH ${matched}
      SELECT 'total' AS facet, '' AS value, COUNT(*) AS n FROM matched
      UNION ALL
      SELECT 'status' AS facet, status AS value, COUNT(*) AS n FROM matched GROUP BY status
      UNION ALL
      SELECT f.facet, f.value, COUNT(*) AS n FROM matched m
        CROSS JOIN search_facets f WHERE f.server_name = m.server_name AND f.facet <> 'namespace'
        GROUP BY f.facet, f.value`.execute(this.q);
    const namespaces = await sql<{ value: string; n: number | string }>`
      WITH ${matched}
      SELECT f.value, COUNT(*) AS n FROM matched m
        CROSS JOIN search_facets f WHERE f.server_name = m.server_name AND f.facet = 'namespace'
        GROUP BY f.value
        ORDER BY COUNT(*) DESC, f.value
        LIMIT ${topNamespaces}`.execute(this.q);
    let total = 0;
    const rows: FacetCounts['counts'] = [];
    for (const row of counts.rows) {
      if (row.facet === 'total') total = Number(row.n);
      else rows.push({ facet: row.facet, value: row.value, count: Number(row.n) });
    }
    return { total, counts: rows, namespaces: namespaces.rows.map((r) => ({ value: r.value, count: Number(r.n) })) };
  }

  /**
   * `best(server_name, worst, substring)`: servers matching every word (worst = the worst of the words' best
   * fields) or containing the query in their name (substring = 1, the official semantics, kept for old clients).
   */
  private candidateCtes(plan: SearchPlan): Sql {
    const matches = (w: WordPlan, column: Sql) => this.wordMatch(w, column);
    const [driver, ...others] = plan.words;
    let byWords = sql``;
    if (driver) {
      // The rarest word's index range yields the candidates; every other word is an index seek per candidate
      // (server_name, term), so a rare word in a multi-word query keeps the whole query cheap.
      const bests = others.map(
        (w) =>
          sql`(SELECT MIN(t.field) FROM search_terms t WHERE t.server_name = w.server_name AND ${matches(w, sql`t.term`)})`,
      );
      const columns = [sql`w.best`, ...bests];
      const worst = columns.length === 1 ? sql`w.best` : this.greatest(columns);
      const present = bests.map((b) => sql` AND ${b} IS NOT NULL`);
      byWords = sql`SELECT w.server_name, ${worst} AS worst, 0 AS substring FROM (
          SELECT server_name, MIN(field) AS best FROM search_terms WHERE ${matches(driver, sql`term`)} GROUP BY server_name
        ) w WHERE 1 = 1${sql.join(present, sql``)}
        UNION ALL `;
    }
    // A single dense word also matches most names as a substring: scanning the small names table is then cheaper
    // than intersecting trigram lists.
    const dense = plan.words.length === 1 && (driver?.postings ?? 0) >= DENSE_POSTINGS;
    return sql`candidates AS (
        ${byWords}SELECT server_name, 9 AS worst, 1 AS substring FROM (${this.namesContaining(plan.search, dense)}) n
      ),
      best AS (SELECT server_name, MIN(worst) AS worst, MAX(substring) AS substring FROM candidates GROUP BY server_name)`;
  }

  /** `column` is an indexed word the query word `w` matches: it starts with it, or is one of its typo variants. */
  private wordMatch(w: WordPlan, column: Sql): Sql {
    const typoMatch = w.typos.length > 0 ? sql` OR ${column} IN (${sql.join(w.typos)})` : sql``;
    return sql`(${column} >= ${w.word} AND ${column} < ${w.word + TOP}${typoMatch})`;
  }

  private greatest(values: Sql[]): Sql {
    // SQLite's multi-argument max() is a scalar function; PostgreSQL spells it GREATEST.
    return this.database.dialect === 'sqlite' ? sql`max(${sql.join(values)})` : sql`GREATEST(${sql.join(values)})`;
  }

  /** Tiers 0–2: conditions on the name keys alone. */
  private topTierCondition(plan: SearchPlan): Sql {
    return sql`(${this.exactNameCondition(plan)} OR ${this.exactSlugCondition(plan)} OR ${this.namePrefixCondition(plan)})`;
  }

  private exactNameCondition(plan: SearchPlan): Sql {
    return sql`d.name_lc = ${plan.folded}`;
  }

  private exactSlugCondition(plan: SearchPlan): Sql {
    // A query without words (only punctuation) has an empty key, which must not equal or prefix every slug.
    return plan.key === ''
      ? sql`d.slug_lc = ${plan.folded}`
      : sql`(d.slug_lc = ${plan.folded} OR d.slug_key = ${plan.key})`;
  }

  private namePrefixCondition(plan: SearchPlan): Sql {
    const prefix = `${likeEscape(plan.folded)}%`;
    const names = sql`d.name_lc LIKE ${prefix} ESCAPE '\\' OR d.slug_lc LIKE ${prefix} ESCAPE '\\'`;
    return plan.key === ''
      ? sql`(${names})`
      : sql`(${names} OR d.slug_key LIKE ${`${likeEscape(plan.key)}%`} ESCAPE '\\')`;
  }

  /** The tier of a row of `best b` joined with its document `d` (`namesOnly`: tiers 0–2, else 9). */
  private rankExpression(plan: SearchPlan, namesOnly = false): Sql {
    const lower = namesOnly
      ? sql`ELSE 9`
      : sql`WHEN b.worst = 0 THEN ${sql.lit(RANK.nameWords)}
      WHEN b.substring = 1 THEN ${sql.lit(RANK.nameSubstring)}
      WHEN b.worst = 1 THEN ${sql.lit(RANK.titleWords)}
      WHEN b.worst = 2 THEN ${sql.lit(RANK.descriptionWords)}
      ELSE ${sql.lit(RANK.otherWords)}`;
    return sql`CASE
      WHEN ${this.exactNameCondition(plan)} THEN ${sql.lit(RANK.exactName)}
      WHEN ${this.exactSlugCondition(plan)} THEN ${sql.lit(RANK.exactSlug)}
      WHEN ${this.namePrefixCondition(plan)} THEN ${sql.lit(RANK.namePrefix)}
      ${lower} END`;
  }

  /**
   * Names containing `search` case-insensitively, answered from the small server_names table and its trigram
   * index (FTS5 on SQLite, pg_trgm on PostgreSQL) instead of scanning every stored document.
   */
  namesContaining(search: string, dense = false): Sql {
    const pattern = `%${likeEscape(search)}%`;
    if (this.database.dialect === 'sqlite') {
      // FTS5 serves LIKE from its trigram index only for patterns of three characters or more and without an
      // ESCAPE clause; other searches (and dense ones) scan the names table, which is still small.
      return !dense && search.length >= 3 && !/[\\%_]/.test(search)
        ? sql`SELECT n.server_name FROM server_names n WHERE n.id IN (SELECT rowid FROM server_names_fts WHERE server_names_fts.server_name LIKE ${`%${search}%`})`
        : sql`SELECT server_name FROM server_names WHERE server_name LIKE ${pattern} ESCAPE '\\'`;
    }
    return sql`SELECT server_name FROM server_names WHERE server_name ILIKE ${pattern} ESCAPE '\\'`;
  }

  /** `search_documents d` contains `search` case-insensitively in its name (the official substring semantics). */
  private nameContains(search: string): Sql {
    const pattern = `%${likeEscape(search)}%`;
    return this.database.dialect === 'sqlite'
      ? sql`d.server_name LIKE ${pattern} ESCAPE '\\'`
      : sql`d.server_name ILIKE ${pattern} ESCAPE '\\'`;
  }

  /**
   * The list filters of a `version=latest` request as one SQL condition on `search_documents d`, whose status and
   * updated_at are the latest version's: the same rows as `rowPredicates` on the servers table.
   */
  private documentPredicates(filter: ListFilter): RawBuilder<SqlBool> {
    const all: Sql[] = [sql`1 = 1`];
    if (!filter.includeDeleted) all.push(sql`d.status <> 'deleted'`);
    if (filter.updatedSince !== undefined) all.push(sql`d.updated_at > ${filter.updatedSince}`);
    if (filter.status !== undefined) all.push(sql`d.status = ${filter.status}`);
    const facet = (name: string, value: string) =>
      sql`EXISTS (SELECT 1 FROM search_facets f WHERE f.facet = ${name} AND f.value = ${value} AND f.server_name = d.server_name)`;
    if (filter.transport !== undefined) all.push(facet('transport', filter.transport));
    if (filter.registryType !== undefined) all.push(facet('registry_type', filter.registryType.toLowerCase()));
    if (filter.hasRemote !== undefined) all.push(facet('has_remote', String(filter.hasRemote)));
    if (filter.hasPackage !== undefined) all.push(facet('has_package', String(filter.hasPackage)));
    if (filter.namespace !== undefined) {
      const [from, to] = namespaceRange(filter.namespace);
      all.push(sql`d.name_lc >= ${from} AND d.name_lc < ${to}`);
    }
    if (filter.names !== undefined) {
      const { names, exclude } = filter.names;
      if (names.length > 0) {
        all.push(sql`d.server_name ${sql.raw(exclude ? 'NOT IN' : 'IN')} (${sql.join([...names])})`);
      } else if (!exclude) all.push(sql`1 = 0`);
    }
    return sql<SqlBool>`${sql.join(all, sql` AND `)}`;
  }

  /** The list filters as one SQL condition on `servers` (also used by the unranked list). */
  rowPredicates(filter: ListFilter): RawBuilder<SqlBool> {
    const all: Sql[] = [sql`1 = 1`];
    if (filter.version === 'latest') {
      all.push(this.database.dialect === 'sqlite' ? sql`servers.is_latest = 1` : sql`servers.is_latest`);
    } else if (filter.version !== undefined) {
      all.push(sql`servers.version = ${filter.version}`);
    }
    if (!filter.includeDeleted) all.push(sql`servers.status <> 'deleted'`);
    if (filter.updatedSince !== undefined) all.push(sql`servers.updated_at > ${filter.updatedSince}`);
    if (filter.status !== undefined) all.push(sql`servers.status = ${filter.status}`);
    const facet = (name: string, value: string) =>
      sql`EXISTS (SELECT 1 FROM search_facets f WHERE f.facet = ${name} AND f.value = ${value} AND f.server_name = servers.server_name)`;
    if (filter.transport !== undefined) all.push(facet('transport', filter.transport));
    if (filter.registryType !== undefined) all.push(facet('registry_type', filter.registryType.toLowerCase()));
    if (filter.hasRemote !== undefined) all.push(facet('has_remote', String(filter.hasRemote)));
    if (filter.hasPackage !== undefined) all.push(facet('has_package', String(filter.hasPackage)));
    if (filter.namespace !== undefined) {
      const [from, to] = namespaceRange(filter.namespace);
      all.push(
        sql`servers.server_name IN (SELECT server_name FROM search_documents WHERE name_lc >= ${from} AND name_lc < ${to})`,
      );
    }
    if (filter.names !== undefined) {
      const { names, exclude } = filter.names;
      if (names.length > 0) {
        all.push(sql`servers.server_name ${sql.raw(exclude ? 'NOT IN' : 'IN')} (${sql.join([...names])})`);
      } else if (!exclude) all.push(sql`1 = 0`);
    }
    return sql<SqlBool>`${sql.join(all, sql` AND `)}`;
  }
}
