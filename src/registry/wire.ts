import { hash } from 'node:crypto';
import type { ServerVersion } from './model.js';
import { OFFICIAL_META_KEY, ORIGIN_META_KEY } from './model.js';

/**
 * The official response shapes, written as strings: the stored document is already canonical JSON,
 * so it is spliced in without a parse/serialise round trip on the hot read path.
 */
export function officialMetaJson(v: ServerVersion): string {
  const meta: Record<string, unknown> = { status: v.status, statusChangedAt: v.statusChangedAt };
  if (v.statusMessage !== null) meta.statusMessage = v.statusMessage;
  meta.publishedAt = v.publishedAt;
  meta.updatedAt = v.updatedAt;
  meta.isLatest = v.isLatest;
  return JSON.stringify(meta);
}

/** A response body encoded once, with its strong validator. */
export interface EncodedBody {
  body: Buffer;
  etag: string;
}

/** Encodes a JSON answer; the ETag is a digest of its bytes. */
export function encodedBody(json: string): EncodedBody {
  const body = Buffer.from(json);
  return { body, etag: `"${hash('sha1', body, 'base64url')}"` };
}

/**
 * Extra `_meta` members for a server (Wharf's own `dev.wharf/…` keys, e.g. health), as a JSON fragment
 * `"key":value[,"key":value]`, or undefined for none.
 */
export type MetaProvider = (serverName: string) => string | undefined;

export function serverResponseJson(v: ServerVersion, extraMeta?: MetaProvider): string {
  const origin = v.origin ? `,"${ORIGIN_META_KEY}":${JSON.stringify(v.origin)}` : '';
  const extra = extraMeta?.(v.name);
  return `{"server":${v.document},"_meta":{"${OFFICIAL_META_KEY}":${officialMetaJson(v)}${origin}${extra ? `,${extra}` : ''}}}`;
}

export function serverListJson(
  servers: readonly ServerVersion[],
  nextCursor?: string,
  extraMeta?: MetaProvider,
): string {
  const items = servers.map((v) => serverResponseJson(v, extraMeta)).join(',');
  const cursor = nextCursor === undefined ? '' : `"nextCursor":${JSON.stringify(nextCursor)},`;
  return `{"servers":[${items}],"metadata":{${cursor}"count":${servers.length}}}`;
}

export function versionListJson(servers: readonly ServerVersion[], extraMeta?: MetaProvider): string {
  const items = servers.map((v) => serverResponseJson(v, extraMeta)).join(',');
  return `{"servers":[${items}],"metadata":{"count":${servers.length}}}`;
}

export function statusUpdateJson(servers: readonly ServerVersion[]): string {
  return `{"updatedCount":${servers.length},"servers":[${servers.map((v) => serverResponseJson(v)).join(',')}]}`;
}
