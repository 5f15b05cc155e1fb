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

export function serverResponseJson(v: ServerVersion): string {
  const origin = v.origin ? `,"${ORIGIN_META_KEY}":${JSON.stringify(v.origin)}` : '';
  return `{"server":${v.document},"_meta":{"${OFFICIAL_META_KEY}":${officialMetaJson(v)}${origin}}}`;
}

export function serverListJson(servers: readonly ServerVersion[], nextCursor?: string): string {
  const items = servers.map(serverResponseJson).join(',');
  const cursor = nextCursor === undefined ? '' : `"nextCursor":${JSON.stringify(nextCursor)},`;
  return `{"servers":[${items}],"metadata":{${cursor}"count":${servers.length}}}`;
}

export function versionListJson(servers: readonly ServerVersion[]): string {
  return `{"servers":[${servers.map(serverResponseJson).join(',')}],"metadata":{"count":${servers.length}}}`;
}

export function statusUpdateJson(servers: readonly ServerVersion[]): string {
  return `{"updatedCount":${servers.length},"servers":[${servers.map(serverResponseJson).join(',')}]}`;
}
