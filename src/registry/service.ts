import type { Principal } from '../auth/authenticator.js';
import { hasPermission, publishPermissionMessage } from '../auth/permissions.js';
import type { Clock } from '../platform/clock.js';
import { badRequest, causes, forbidden, notFound, unprocessable } from '../platform/errors.js';
import type { ListFilter, ServerStatus, ServerVersion } from './model.js';
import { encodeRankCursor } from './search/cursor.js';
import type { FacetCounts } from './search/search-store.js';
import type { RegistryStore } from './store.js';
import { canonicalJson, validateServerJson } from './validation/index.js';
import type { ServerJSON, ValidationResult } from './validation/index.js';
import { pickLatest } from './versioning.js';

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

export interface ListPage {
  servers: ServerVersion[];
  nextCursor?: string;
}

/** The registry's rules: who may publish what, which version is latest, what a status change means. */
export class RegistryService {
  private readonly writeListeners: (() => void)[] = [];

  constructor(
    private readonly store: RegistryStore,
    private readonly verifier: PackageVerifier,
    private readonly clock: Clock,
  ) {}

  /** Registers a callback run after every committed write (e.g. to drop cached reads). */
  onWrite(listener: () => void): void {
    this.writeListeners.push(listener);
  }

  /** Changes whenever registry data changes, in this process or another one sharing the database. */
  generation(): Promise<number> {
    return this.store.generation();
  }

  private async write<T>(serverName: string, work: (store: RegistryStore) => Promise<T>): Promise<T> {
    const result = await this.store.writeTransaction(serverName, work);
    // Only after a commit: a rejected write (a duplicate, a conflict) rolled back and changed nothing.
    for (const listener of this.writeListeners) listener();
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
    if (!hasPermission(principal.permissions, 'publish', server.name)) {
      throw forbidden(publishPermissionMessage(principal.permissions, server.name));
    }
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
    if (!hasPermission(principal.permissions, 'edit', name)) {
      throw forbidden('You do not have edit permissions for this server');
    }
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
    if (!hasPermission(principal.permissions, 'admin', name)) {
      throw forbidden('Only administrators can permanently delete a server version');
    }
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
    const { permissions } = principal;
    if (!hasPermission(permissions, 'publish', name) && !hasPermission(permissions, 'edit', name)) {
      throw forbidden('You do not have permission to change the status of this server');
    }
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
}

function remoteUrlsOf(server: ServerJSON): string[] {
  return (server.remotes ?? []).map((remote) => remote.url).filter((url): url is string => typeof url === 'string');
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('row vanished inside its own transaction');
  return value;
}
