import { hash } from 'node:crypto';
import { badRequest } from '../../platform/errors.js';
import type { ListCursor } from '../model.js';
import { foldName } from './text.js';

/**
 * Cursors of a ranked search are opaque strings `r1.<base64url>` holding (rank, name, version) and a short hash of
 * the query, so a cursor handed to another query is refused instead of silently skipping results. They never
 * contain '/' (a server name always does), which tells them apart from the plain `name:version` cursors of the
 * unranked listing, kept as they are for official clients and mirrors.
 */
const PREFIX = 'r1.';

const queryHash = (search: string) => hash('sha256', foldName(search), 'base64url').slice(0, 8);

export function encodeRankCursor(position: { rank: number; name: string; version: string }, search: string): string {
  const payload = JSON.stringify([position.rank, position.name, position.version, queryHash(search)]);
  return PREFIX + Buffer.from(payload).toString('base64url');
}

const invalid = () => badRequest('Invalid cursor: pass metadata.nextCursor from the previous page');

/** Parses a list cursor: ranked when `search` is set, `name:version` (or a legacy bare name) otherwise. */
export function parseListCursor(raw: string, search: string | undefined): ListCursor {
  if (raw.length > 512) throw invalid();
  const ranked = raw.startsWith(PREFIX) && !raw.includes('/');
  if (search === undefined) {
    if (ranked) throw badRequest('Invalid cursor: this cursor belongs to a search; repeat the same search parameter');
    const colon = raw.indexOf(':');
    // Legacy cursors hold only a name; names never contain ':', versions may.
    return colon === -1 ? { name: raw } : { name: raw.slice(0, colon), version: raw.slice(colon + 1) };
  }
  if (!ranked) throw badRequest('Invalid cursor: a search is paged with the nextCursor of the same search');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(raw.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 4 ||
    !Number.isInteger(decoded[0]) ||
    typeof decoded[1] !== 'string' ||
    typeof decoded[2] !== 'string' ||
    typeof decoded[3] !== 'string'
  ) {
    throw invalid();
  }
  if (decoded[3] !== queryHash(search)) {
    throw badRequest('Invalid cursor: it was issued for a different search; start again without a cursor');
  }
  return { rank: decoded[0] as number, name: decoded[1], version: decoded[2] };
}
