import type { JsonObject } from './model.js';

/** `metadata.owner` when it is a string: what the owner rule compares with the caller's subject. */
export function ownerOf(metadata: JsonObject): string | null {
  return typeof metadata.owner === 'string' ? metadata.owner : null;
}

/**
 * JSON Merge Patch (RFC 7396). Written here rather than taken from a library because the algorithm is
 * the RFC's ten-line pseudocode and the libraries add nothing but a dependency.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: JsonObject = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
