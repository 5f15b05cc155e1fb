/**
 * The namespacing policy: an upstream's tool `name` is served as `alias__name`, within the MCP limits (1–128
 * characters of `[A-Za-z0-9_.-]`). Names that do not fit are shortened stably — the same input always gives the
 * same output — by replacing the tail with a hash of the full name, so clients can keep a name across restarts.
 */
import { createHash } from 'node:crypto';

export const SEPARATOR = '__';
export const MAX_NAME_LENGTH = 128;
export const ALIAS = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
/** The built-in upstream (the registry's own tools); its tools keep their names. */
export const BUILT_IN_ALIAS = 'registry';

const ALLOWED = /^[A-Za-z0-9_.-]+$/;
const HASH_LENGTH = 8;

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
}

/** `alias__name`, made valid and at most 128 characters; deterministic. */
export function namespacedName(alias: string, name: string): string {
  const full = `${alias}${SEPARATOR}${name}`;
  if (full.length <= MAX_NAME_LENGTH && ALLOWED.test(full)) return full;
  const cleaned = full.replace(/[^A-Za-z0-9_.-]/g, '_');
  const keep = MAX_NAME_LENGTH - HASH_LENGTH - 1;
  return `${cleaned.slice(0, keep)}-${hashOf(full)}`;
}

export interface NamedItem {
  alias: string;
  name: string;
}

/**
 * Downstream names for a merged list, collision-free: items are ordered (alias, name) so the outcome does not
 * depend on which upstream answered first; an item whose name is already taken gets a hash suffix of its own
 * (alias, name) pair. Returns the downstream name of each item, in the input order.
 */
export function assignNames<T extends NamedItem>(items: readonly T[], prefix: (item: T) => string): string[] {
  const order = items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => cmp(a.item.alias, b.item.alias) || cmp(a.item.name, b.item.name));
  const taken = new Set<string>();
  const result: string[] = new Array<string>(items.length);
  for (const { item, index } of order) {
    let name = prefix(item);
    if (taken.has(name)) {
      const suffix = `-${hashOf(`${item.alias}\u0000${item.name}`)}`;
      name = `${name.slice(0, MAX_NAME_LENGTH - suffix.length)}${suffix}`;
      for (let n = 2; taken.has(name); n++) name = `${name.slice(0, MAX_NAME_LENGTH - 3)}-${n}`;
    }
    taken.add(name);
    result[index] = name;
  }
  return result;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
