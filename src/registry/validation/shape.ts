import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseGoUrl } from './go-url.js';
import { humaErrorsFromAjv } from './huma-errors.js';
import type { HumaError } from './huma-errors.js';
import { ArgumentSchema, InputSchema, KeyValueInputSchema, ServerJSONSchema } from './server-json.js';
import type { ServerJSON } from './server-json.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const ajv = new Ajv({
  strict: true,
  allErrors: true,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  allowMatchingProperties: true,
});
addFormats(ajv);
// huma checks `uri` with Go's url.Parse, which accepts relative references and rejects little; WHATWG-style
// checks would turn away documents the official registry takes.
ajv.addFormat('uri', { type: 'string', validate: (s: string) => parseGoUrl(s).ok });
const validateShape = ajv.compile<ServerJSON>(ServerJSONSchema);

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  required?: string[];
  patternProperties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

const chars = (s: string) => Array.from(s);
const foldEq = (a: string, b: string) =>
  a === b || a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase();

/** Go's strings.EqualFold (simple Unicode folding), which huma and encoding/json use to match JSON keys. */
export function goEqualFold(a: string, b: string): boolean {
  const x = chars(a);
  const y = chars(b);
  return x.length === y.length && x.every((c, i) => foldEq(c, y[i] ?? ''));
}

function canonicalKey(key: string, properties: Record<string, SchemaNode>): string | undefined {
  if (Object.hasOwn(properties, key)) return key;
  return Object.keys(properties).find((p) => goEqualFold(p, key));
}

// defineProperty keeps a client-sent "__proto__" key an ordinary property instead of a prototype swap.
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Rewrites struct keys to their canonical spelling, the way huma validates and encoding/json decodes them
 * (case-insensitively; when two spellings of one field appear, the later one wins, as in Go). Map keys
 * (`variables`) and the free-form publisher-provided `_meta` are user data and stay untouched. A `null` for an
 * optional field is dropped: huma skips it and Go's decoder leaves the field at its zero value.
 */
function normalise(value: unknown, schema: SchemaNode, originals: WeakMap<object, unknown>): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (!items) return value;
    const out = value.map((v) => normalise(v, items, originals));
    originals.set(out, value);
    return out;
  }
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  if (schema.properties) {
    const required = new Set(schema.required ?? []);
    for (const [key, v] of Object.entries(value)) {
      const canonical = canonicalKey(key, schema.properties);
      if (canonical === undefined) {
        setOwn(out, key, v);
        continue;
      }
      if (v === null && !required.has(canonical)) continue;
      const child = schema.properties[canonical] ?? {};
      setOwn(out, canonical, normalise(v, child, originals));
    }
  } else if (schema.patternProperties) {
    const child = Object.values(schema.patternProperties)[0] ?? {};
    for (const [key, v] of Object.entries(value)) setOwn(out, key, normalise(v, child, originals));
  } else {
    return value;
  }
  originals.set(out, value);
  return out;
}

// huma visits struct fields in declaration order but puts embedded structs' fields after the outer struct's own
// (Argument and KeyValueInput embed InputWithVariables, which embeds Input); unknown keys come last.
const inputOrder = Object.keys(InputSchema.properties);
const humaFieldOrder = new Map<object, string[]>([
  [ArgumentSchema, ['type', 'name', 'valueHint', 'isRepeated', 'variables', ...inputOrder]],
  [KeyValueInputSchema, ['name', 'variables', ...inputOrder]],
]);
const UNKNOWN = 1e6;

function fieldPosition(schema: SchemaNode, name: string): number {
  const order = humaFieldOrder.get(schema) ?? Object.keys(schema.properties ?? {});
  const i = order.indexOf(name);
  return i < 0 ? UNKNOWN : i;
}

/** Position of an error in huma's depth-first walk, so errors come out in the order huma reports them. */
function humaOrderKey(error: HumaError): number[] {
  const key: number[] = [];
  let schema: SchemaNode | undefined = ServerJSONSchema as SchemaNode;
  for (const [, field, index] of error.location.slice('body'.length).matchAll(/\.([^.[]+)|\[(\d+)\]/g)) {
    if (index !== undefined) {
      key.push(Number(index));
      schema = schema?.items;
    } else if (schema?.properties && field !== undefined) {
      key.push(fieldPosition(schema, field));
      schema = schema.properties[field];
    } else {
      key.push(0);
      schema = schema?.patternProperties ? Object.values(schema.patternProperties)[0] : undefined;
    }
  }
  const missing = /^expected required property (.+) to be present$/.exec(error.message)?.[1];
  if (missing !== undefined && schema) key.push(fieldPosition(schema, missing));
  return key;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export type ShapeResult = { ok: true; value: ServerJSON } | { ok: false; errors: HumaError[] };

/**
 * Layer A: checks a decoded JSON body against the request shape the official API enforces (huma struct
 * validation) and returns the body with canonical key spelling, or huma's error details for a 422.
 *
 * @example
 * checkRequestShape({ $schema: 'https://x/schemas/2025-12-11/server.schema.json', name: 'a/b', description: '', version: '1' })
 * // → { ok: false, errors: [{ message: 'expected length >= 1', location: 'body.description', value: '' }] }
 */
export function checkRequestShape(body: unknown): ShapeResult {
  const originals = new WeakMap<object, unknown>();
  const normalised = normalise(body, ServerJSONSchema as SchemaNode, originals);
  if (validateShape(normalised)) return { ok: true, value: normalised };
  const originalOf = (v: unknown) => (v !== null && typeof v === 'object' ? (originals.get(v) ?? v) : v);
  const errors = humaErrorsFromAjv(validateShape.errors, 'body', normalised, originalOf);
  const keyed = errors.map((error) => ({ error, key: humaOrderKey(error) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  return { ok: false, errors: keyed.map((k) => k.error) };
}
