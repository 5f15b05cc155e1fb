import type { Principal } from '../auth/authenticator.js';
import { authorize } from '../auth/authorize.js';
import { publishPermissionMessage } from '../auth/permissions.js';
import type { Clock } from '../platform/clock.js';
import { badRequest, causes, notFound, unprocessable } from '../platform/errors.js';
import type { Transaction } from 'kysely';
import type { WharfSchema } from '../platform/storage/schema.js';
import type { ListFilter, ServerStatus, ServerVersion } from './model.js';
import type { MirroredVersion, RegistryStore, VersionKey } from './store.js';
import { encodeRankCursor } from './search/cursor.js';
import type { MemorySearchIndex } from './search/memory-index.js';
import type { FacetCounts } from './search/search-store.js';
import { canonicalJson, validateServerJson } from './validation/index.js';
import type { ServerJSON, ValidationResult } from './validation/index.js';
import { compareVersions, pickLatest } from './versioning.js';
import type { EncodedBody, MetaProvider } from './wire.js';

export const MAX_VERSIONS_PER_SERVER = 10_000;
export const MAX_PUBLISHER_META_BYTES = 4096;

/** Checks that packages really belong to the server (npm mcpName, PyPI README, …); null when fine. */
export interface PackageVerifier {
  verify(server: ServerJSON): Promise<string | null>;
}

export interface StatusChange {
  status: ServerStatus;
  statusMessage?: string | undefined;
}

/** What to do with a name that also has versions published here (or mirrored from another upstream). */
export type MirrorConflictPolicy = 'skip' | 'local-wins' | 'upstream-wins';

export interface MirrorPage {
  /** The upstream's API base URL, recorded as the origin of every version written. */
  upstream: string;
  /** Local time of this write, recorded as `syncedAt`. */
  syncedAt: string;
  conflict: MirrorConflictPolicy;
  entries: readonly MirroredVersion[];
  /** Record unchanged versions as confirmed (a full pass), so the final sweep keeps them. */
  confirmUnchanged: boolean;
}

export interface MirrorPageResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Upstream versions not applied because of the conflict policy. */
  conflicts: number;
  /** Names the conflict policy held back (each once). */
  conflictNames: string[];
}

export interface ListPage {
  servers: ServerVersion[];
  nextCursor?: string;
}

/** The registry's rules: who may publish what, which version is latest, what a status change means. */
export class RegistryService {
  private readonly writeListeners: (() => void)[] = [];
  private memorySearch: MemorySearchIndex | undefined;

  constructor(
    private readonly store: RegistryStore,
    private readonly verifier: PackageVerifier,
    private readonly clock: Clock,
  ) {}

  /** Registers a callback run after every committed write (e.g. to drop cached reads). */
  onWrite(listener: () => void): void {
    this.writeListeners.push(listener);
  }

  /** Answers ranked searches of latest versions from memory when it can (see MemorySearchIndex). */
  useMemorySearch(index: MemorySearchIndex): void {
    this.memorySearch = index;
  }

  /**
   * A ranked search page answered by the in-memory index, encoded, or undefined when it cannot answer this
   * request (then `list` does, with the same rows).
   */
  async searchPage(filter: ListFilter, extraMeta?: MetaProvider): Promise<EncodedBody | undefined> {
    return this.memorySearch?.page(filter, extraMeta);
  }

  /** Runs after every committed write: the in-memory search first, so no read sees it behind the database. */
  private written(names: readonly string[]): void {
    this.memorySearch?.noteLocalWrite(names);
    for (const listener of this.writeListeners) listener();
  }

  /** Changes whenever registry data changes, in this process or another one sharing the database. */
  generation(): Promise<number> {
    return this.store.generation();
  }

  private async write<T>(serverName: string, work: (store: RegistryStore) => Promise<T>): Promise<T> {
    const result = await this.store.writeTransaction(serverName, work);
    // Only after a commit: a rejected write (a duplicate, a conflict) rolled back and changed nothing.
    this.written([serverName]);
    return result;
  }

  async list(filter: ListFilter): Promise<ListPage> {
    const plan = filter.search === undefined ? undefined : await this.store.search.plan(filter.search);
    // One extra row tells whether another page exists, so the last page carries no cursor
    // (the official registry hands out a cursor to a final empty page).
    const rows = await this.store.list({ ...filter, limit: filter.limit + 1 }, plan);
    const servers = rows.slice(0, filter.limit);
    const last = servers.at(-1);
    if (rows.length <= filter.limit || !last) return { servers };
    const nextCursor =
      filter.search !== undefined && last.rank !== undefined
        ? encodeRankCursor({ rank: last.rank, name: last.name, version: last.version }, filter.search)
        : `${last.name}:${last.version}`;
    return { servers, nextCursor };
  }

  /** Counts per transport, registry type, status, namespace (top `topNamespaces`), has_remote and has_package. */
  async facets(filter: Omit<ListFilter, 'limit' | 'cursor'>, topNamespaces = 20): Promise<FacetCounts> {
    const fromMemory = this.memorySearch?.facets(filter, topNamespaces);
    if (fromMemory) return fromMemory;
    const plan = filter.search === undefined ? undefined : await this.store.search.plan(filter.search);
    return this.store.search.facets(plan, { ...filter, limit: 0 }, topNamespaces);
  }

  /** Indexes servers stored before the search index existed (a database upgraded to this version). */
  indexUnindexed(): Promise<number> {
    return this.store.indexUnindexed();
  }

  async versions(name: string, includeDeleted: boolean): Promise<ServerVersion[]> {
    const versions = await this.store.versions(name, includeDeleted);
    if (versions.length === 0) throw notFound('Server not found');
    return versions;
  }

  async get(name: string, version: string, includeDeleted: boolean): Promise<ServerVersion> {
    const found =
      version === 'latest'
        ? await this.store.findLatest(name, includeDeleted)
        : await this.store.find(name, version, includeDeleted);
    if (!found) throw notFound('Server not found');
    return found;
  }

  validate(server: ServerJSON): ValidationResult {
    return validateServerJson(server, 'all');
  }

  async publish(server: ServerJSON, principal: Principal): Promise<ServerVersion> {
    authorize(principal, 'publish', server.name, (p) => publishPermissionMessage(p.permissions, server.name));
    this.assertValid(server, 'Failed to publish server, invalid schema: call /validate for details');
    await this.assertPublishable(server, 'Failed to publish server');
    const document = canonicalJson(server);
    const remoteUrls = remoteUrlsOf(server);
    return this.write(server.name, async (store) => {
      const fail = (reason: string) => badRequest('Failed to publish server', causes(reason));
      const conflict = await store.findRemoteUrlOwner(remoteUrls, server.name);
      if (conflict) throw fail(`remote URL ${conflict.url} is already used by server ${conflict.serverName}`);
      const existing = await store.summaries(server.name);
      if (existing.length >= MAX_VERSIONS_PER_SERVER) {
        throw fail(`maximum number of versions for this server reached (${MAX_VERSIONS_PER_SERVER})`);
      }
      if (existing.some((v) => v.version === server.version)) {
        throw fail('invalid version: cannot publish duplicate version');
      }
      const now = this.clock.now();
      await store.insert(
        {
          name: server.name,
          version: server.version,
          status: 'active',
          statusChangedAt: now,
          statusMessage: null,
          publishedAt: now,
          updatedAt: now,
          isLatest: false,
          document,
        },
        remoteUrls,
      );
      await this.recalculateLatest(store, server.name, now);
      return required(await store.find(server.name, server.version, true));
    });
  }

  async edit(name: string, version: string, server: ServerJSON, principal: Principal): Promise<ServerVersion> {
    const current = await this.store.find(name, version, false);
    if (!current) throw notFound('Server not found');
    authorize(principal, 'edit', name, 'You do not have edit permissions for this server');
    if (server.name !== name) throw badRequest('Cannot rename server');
    if (server.version !== version) throw badRequest('Version in request body must match URL path parameter');
    this.assertValid(server, 'Failed to edit server, invalid schema: call /validate for details');
    await this.assertPublishable(server, 'Failed to edit server');
    const document = canonicalJson(server);
    const remoteUrls = remoteUrlsOf(server);
    return this.write(name, async (store) => {
      const conflict = await store.findRemoteUrlOwner(remoteUrls, name);
      if (conflict) {
        throw badRequest(
          'Failed to edit server',
          causes(`remote URL ${conflict.url} is already used by server ${conflict.serverName}`),
        );
      }
      const still = await store.find(name, version, false);
      if (!still) throw notFound('Server not found');
      await store.replaceDocument(name, version, document, remoteUrls, this.clock.now());
      return required(await store.find(name, version, true));
    });
  }

  async setVersionStatus(
    name: string,
    version: string,
    change: StatusChange,
    principal: Principal,
  ): Promise<ServerVersion> {
    this.assertMayChangeStatus(name, principal);
    const message = this.statusMessageFor(change);
    return this.write(name, async (store) => {
      const current = await store.find(name, version, true);
      if (!current) throw notFound('Server version not found');
      if (current.status === change.status && current.statusMessage === message) {
        throw badRequest('No changes to apply: status and message are already set to the provided values');
      }
      if (current.status === 'deleted' && change.status !== 'deleted') {
        await this.assertRemotesFree(store, name, current.document);
      }
      const now = this.clock.now();
      await store.setStatus(name, version, change.status, message, now);
      await this.recalculateLatest(store, name, now);
      return required(await store.find(name, version, true));
    });
  }

  async setServerStatus(name: string, change: StatusChange, principal: Principal): Promise<ServerVersion[]> {
    this.assertMayChangeStatus(name, principal);
    const message = this.statusMessageFor(change);
    return this.write(name, async (store) => {
      const versions = await store.versions(name, true);
      if (versions.length === 0) throw notFound('Server not found');
      const changing = versions.filter((v) => v.status !== change.status || v.statusMessage !== message);
      if (changing.length === 0) {
        throw badRequest('No changes to apply: all versions already have the requested status and message');
      }
      if (change.status !== 'deleted') {
        for (const restored of changing.filter((v) => v.status === 'deleted')) {
          await this.assertRemotesFree(store, name, restored.document);
        }
      }
      const now = this.clock.now();
      await store.setStatus(name, undefined, change.status, message, now);
      await this.recalculateLatest(store, name, now);
      return store.versions(name, true);
    });
  }

  /** Hard delete of one version: an administrator's tool, beyond the official status lifecycle. */
  async deleteVersion(name: string, version: string, principal: Principal): Promise<void> {
    authorize(principal, 'admin', name, 'Only administrators can permanently delete a server version');
    await this.write(name, async (store) => {
      if (!(await store.delete(name, version))) throw notFound('Server version not found');
      await this.recalculateLatest(store, name, this.clock.now());
    });
  }

  private assertValid(server: ServerJSON, detail: string): void {
    const result = validateServerJson(server, 'publish');
    if (result.valid) return;
    const errors = result.issues
      .filter((issue) => issue.severity === 'error')
      .map((issue) => ({ message: `${issue.message} [${issue.reference}]`, location: `body.${issue.path}` }));
    throw unprocessable(detail, errors);
  }

  private async assertPublishable(server: ServerJSON, detail: string): Promise<void> {
    // The official 4 KiB cap on publisher-provided metadata, applied to every extension key Wharf accepts.
    for (const [key, value] of Object.entries(server._meta ?? {})) {
      const size = Buffer.byteLength(JSON.stringify(value));
      if (size > MAX_PUBLISHER_META_BYTES) {
        throw badRequest(detail, causes(`_meta.${key} extension exceeds 4KB limit (${size} bytes)`));
      }
    }
    const ownershipProblem = await this.verifier.verify(server);
    if (ownershipProblem) throw badRequest(detail, causes(ownershipProblem));
  }

  private assertMayChangeStatus(name: string, principal: Principal): void {
    authorize(principal, ['publish', 'edit'], name, 'You do not have permission to change the status of this server');
  }

  private statusMessageFor(change: StatusChange): string | null {
    if (change.status === 'active' && change.statusMessage !== undefined) {
      throw badRequest('status_message cannot be provided when setting status to active');
    }
    return change.status === 'active' ? null : (change.statusMessage ?? null);
  }

  private async assertRemotesFree(store: RegistryStore, name: string, document: string): Promise<void> {
    const urls = remoteUrlsOf(JSON.parse(document) as ServerJSON);
    const conflict = await store.findRemoteUrlOwner(urls, name);
    if (conflict) {
      throw badRequest(
        'Cannot restore server version',
        causes(`remote URL ${conflict.url} is already used by server ${conflict.serverName}`),
      );
    }
  }

  private async recalculateLatest(store: RegistryStore, name: string, now: string): Promise<void> {
    const summaries = await store.summaries(name);
    const latest = pickLatest(summaries);
    const flagged = summaries.filter((s) => s.isLatest);
    if (latest && flagged.length === 1 && flagged[0]?.version === latest.version) return;
    await store.moveLatest(name, latest?.version, now);
  }

  // --- Mirroring (wharf sync) ---

  /**
   * Applies one page of versions copied from an upstream registry in one transaction: inserts new versions and
   * overwrites changed ones with the upstream's document, status and timestamps (never the local clock), applies
   * the conflict policy to names that also exist here, and moves latest flags. `inTransaction` runs inside the same
   * transaction, so a sync can commit its cursor together with the page it covers.
   */
  async applyMirrorPage(
    page: MirrorPage,
    inTransaction?: (trx: Transaction<WharfSchema>) => Promise<void>,
  ): Promise<MirrorPageResult> {
    const result: MirrorPageResult = { inserted: 0, updated: 0, unchanged: 0, conflicts: 0, conflictNames: [] };
    const byName = new Map<string, MirroredVersion[]>();
    for (const entry of page.entries) {
      const list = byName.get(entry.name) ?? [];
      // A repeated version (an upstream answering overlapping pages) keeps its last copy.
      const at = list.findIndex((e) => e.version === entry.version);
      if (at >= 0) list[at] = entry;
      else list.push(entry);
      byName.set(entry.name, list);
    }
    const names = [...byName.keys()];
    const origin = { upstream: page.upstream, syncedAt: page.syncedAt };
    await this.store.mirrorTransaction(names, async (store, trx) => {
      const existing = new Map<string, ServerVersion[]>();
      for (const row of await store.versionsOfNames(names)) {
        existing.set(row.name, [...(existing.get(row.name) ?? []), row]);
      }
      const inserts: MirroredVersion[] = [];
      const updates: MirroredVersion[] = [];
      const confirms: VersionKey[] = [];
      const clearNames: string[] = [];
      const latest: VersionKey[] = [];
      const insertedLatest = new Set<string>();
      for (const [name, entries] of byName) {
        const rows = existing.get(name) ?? [];
        const isOurs = (row: ServerVersion) => row.origin?.upstream === page.upstream;
        const foreign = rows.some((row) => !isOurs(row));
        if (foreign && page.conflict === 'skip') {
          result.conflicts += entries.length;
          result.conflictNames.push(name);
          // Versions mirrored before the name was also published here stay, as they are.
          if (page.confirmUnchanged) {
            confirms.push(...entries.filter((e) => rows.some((r) => r.version === e.version && isOurs(r))));
          }
          continue;
        }
        const applied: MirroredVersion[] = [];
        let heldBack = false;
        for (const entry of entries) {
          const current = rows.find((row) => row.version === entry.version);
          if (current && !isOurs(current) && page.conflict !== 'upstream-wins') {
            result.conflicts += 1;
            heldBack = true;
            continue;
          }
          applied.push(entry);
          if (!current) inserts.push(entry);
          else if (!isOurs(current) || !sameMirroredVersion(current, entry)) updates.push(entry);
          else {
            result.unchanged += 1;
            if (page.confirmUnchanged) confirms.push(entry);
          }
        }
        if (heldBack) result.conflictNames.push(name);
        if (applied.length === 0) continue;
        const wanted = mirroredLatest(rows, applied, foreign);
        const flagged = rows.find((row) => row.isLatest)?.version;
        if (wanted !== flagged) {
          if (flagged !== undefined) clearNames.push(name);
          if (wanted === undefined) continue;
          if (rows.some((row) => row.version === wanted)) latest.push({ name, version: wanted });
          else insertedLatest.add(`${name}\u0000${wanted}`);
        }
      }
      result.inserted = inserts.length;
      result.updated = updates.length;
      // Old flags go first: at most one latest version per name, and the index is not deferrable.
      await store.setLatest(clearNames, []);
      await store.insertMirrored(inserts, origin, insertedLatest);
      for (const entry of updates) await store.updateMirrored(entry, origin);
      await store.confirmMirrored(confirms, origin);
      await store.setLatest([], latest);
      await inTransaction?.(trx);
    });
    this.written(names);
    return result;
  }

  /** Mirrored versions of `upstream` not written or confirmed since `before`. */
  staleMirrored(upstream: string, before: string, limit: number): Promise<VersionKey[]> {
    return this.store.staleMirrored(upstream, before, limit);
  }

  /**
   * Permanently removes mirrored versions (gone upstream, or no longer allowed by the sync's name patterns) and
   * re-picks the latest version of what remains of each name; only versions mirrored from `upstream` are touched.
   */
  async removeMirrored(upstream: string, keys: readonly VersionKey[]): Promise<number> {
    if (keys.length === 0) return 0;
    const names = [...new Set(keys.map((k) => k.name))];
    const removed = await this.store.mirrorTransaction(names, async (store) => {
      let count = 0;
      const rows = await store.versionsOfNames(names);
      const doomed = new Set(keys.map((k) => `${k.name}\u0000${k.version}`));
      for (const row of rows) {
        if (row.origin?.upstream !== upstream || !doomed.has(`${row.name}\u0000${row.version}`)) continue;
        if (await store.delete(row.name, row.version)) count += 1;
      }
      const reflag: string[] = [];
      const latest: VersionKey[] = [];
      for (const name of names) {
        const remaining = rows.filter((r) => r.name === name && !doomed.has(`${r.name}\u0000${r.version}`));
        const wanted = pickLatest(remaining)?.version;
        if (wanted === remaining.find((r) => r.isLatest)?.version) continue;
        reflag.push(name);
        if (wanted !== undefined) latest.push({ name, version: wanted });
      }
      await store.setLatest(reflag, latest);
      return count;
    });
    this.written(names);
    return removed;
  }
}

function remoteUrlsOf(server: ServerJSON): string[] {
  return (server.remotes ?? []).map((remote) => remote.url).filter((url): url is string => typeof url === 'string');
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('row vanished inside its own transaction');
  return value;
}

function sameMirroredVersion(current: ServerVersion, entry: MirroredVersion): boolean {
  return (
    current.status === entry.status &&
    current.statusChangedAt === entry.statusChangedAt &&
    current.statusMessage === entry.statusMessage &&
    current.publishedAt === entry.publishedAt &&
    current.updatedAt === entry.updatedAt &&
    current.document === entry.document
  );
}

/**
 * The version of a mirrored name that should carry the latest flag once `applied` is written. The upstream's flag
 * wins when this page carries one; otherwise the current flag stays unless the upstream now says that version is not
 * latest. That covers the official registry's quirk of un-flagging the previous latest without touching its
 * updatedAt (an incremental sync never sees that row again). With no flag left, the official rule re-picks one from
 * the versions at hand; a later page or the periodic full pass corrects a guess the upstream disagrees with.
 * Names mixing local and mirrored versions always use the official rule.
 */
function mirroredLatest(
  rows: readonly ServerVersion[],
  applied: readonly MirroredVersion[],
  mixed: boolean,
): string | undefined {
  const merged = new Map<string, { version: string; status: string; publishedAt: string; isLatest: boolean }>();
  for (const row of rows) merged.set(row.version, row);
  for (const entry of applied) merged.set(entry.version, entry);
  const all = [...merged.values()];
  if (mixed) return pickLatest(all)?.version;
  const claimed = applied.filter((e) => e.isLatest);
  if (claimed.length > 0) {
    let best = claimed[0]!;
    for (const c of claimed.slice(1)) {
      if (c.updatedAt > best.updatedAt || (c.updatedAt === best.updatedAt && compareVersions(c, best) > 0)) best = c;
    }
    return best.version;
  }
  const deniedLatest = new Set(applied.map((e) => e.version));
  const kept = rows.find((row) => row.isLatest && !deniedLatest.has(row.version));
  if (kept) return kept.version;
  const candidates = all.filter((v) => !deniedLatest.has(v.version));
  return (pickLatest(candidates) ?? pickLatest(all))?.version;
}
