import type { ServerJSON } from './server-json.js';

/**
 * Serialises a server.json the way the official registry stores and serves it: Go's encoding/json marshalling the
 * structs of `pkg/api/v0/types.go` / `pkg/model/types.go`. That fixes key order (struct field order), map key order
 * (sorted) and the escaping (encoding/json escapes < > & and U+2028/U+2029 by default).
 *
 * One deliberate difference: Go's `omitempty` would drop values the publisher wrote explicitly (`"isSecret": false`,
 * `"title": ""`); Wharf keeps them, so a document reads back equal to what was published. Absent and null fields
 * are left out, as Go leaves out nil pointers.
 */

type Kind =
  | 'string'
  | 'bool'
  | 'strings'
  | 'ptrString'
  | 'freeMap'
  | { struct: Field[]; pointer?: boolean }
  | { array: Field[] }
  | { map: Field[] };

interface Field {
  name: string;
  kind: Kind;
  omitEmpty: boolean;
}

const f = (name: string, kind: Kind, omitEmpty = true): Field => ({ name, kind, omitEmpty });
const always = (name: string, kind: Kind): Field => f(name, kind, false);

const input: Field[] = [
  f('description', 'string'),
  f('isRequired', 'bool'),
  f('format', 'string'),
  f('value', 'string'),
  f('isSecret', 'bool'),
  f('default', 'string'),
  f('placeholder', 'string'),
  f('choices', 'strings'),
];
const inputWithVariables: Field[] = [...input, f('variables', { map: input })];
const keyValueInput: Field[] = [...inputWithVariables, always('name', 'string')];
const argument: Field[] = [
  ...inputWithVariables,
  always('type', 'string'),
  f('name', 'string'),
  f('valueHint', 'string'),
  f('isRepeated', 'bool'),
];
const transport: Field[] = [
  always('type', 'string'),
  f('url', 'string'),
  f('headers', { array: keyValueInput }),
  f('variables', { map: input }),
];
const pkg: Field[] = [
  always('registryType', 'string'),
  f('registryBaseUrl', 'string'),
  always('identifier', 'string'),
  f('version', 'string'),
  f('fileSha256', 'string'),
  f('runtimeHint', 'string'),
  always('transport', { struct: transport }),
  f('runtimeArguments', { array: argument }),
  f('packageArguments', { array: argument }),
  f('environmentVariables', { array: keyValueInput }),
];
const repository: Field[] = [f('url', 'string'), f('source', 'string'), f('id', 'string'), f('subfolder', 'string')];
const icon: Field[] = [
  always('src', 'string'),
  f('mimeType', 'ptrString'),
  f('sizes', 'strings'),
  f('theme', 'ptrString'),
];
const serverJson: Field[] = [
  always('$schema', 'string'),
  always('name', 'string'),
  always('description', 'string'),
  f('title', 'string'),
  f('repository', { struct: repository, pointer: true }),
  always('version', 'string'),
  f('websiteUrl', 'string'),
  f('icons', { array: icon }),
  f('packages', { array: pkg }),
  f('remotes', { array: transport }),
  // Extension keys sit beside publisher-provided metadata, so _meta is marshalled as a sorted map.
  f('_meta', 'freeMap'),
];

const hex = (n: number) => n.toString(16).padStart(4, '0');

/** encoding/json's string encoder with its default HTML escaping; lone surrogates become U+FFFD as in Go. */
export function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp === 0x22) out += '\\"';
    else if (cp === 0x5c) out += '\\\\';
    else if (cp === 0x0a) out += '\\n';
    else if (cp === 0x0d) out += '\\r';
    else if (cp === 0x09) out += '\\t';
    else if (cp === 0x08) out += '\\b';
    else if (cp === 0x0c) out += '\\f';
    else if (cp < 0x20 || cp === 0x3c || cp === 0x3e || cp === 0x26 || cp === 0x2028 || cp === 0x2029) {
      out += `\\u${hex(cp)}`;
    } else if (cp >= 0xd800 && cp <= 0xdfff) out += '\ufffd';
    else out += ch;
  }
  return `${out}"`;
}

/** strconv.FormatFloat(f, 'f'|'e', -1, 64) as encoding/json picks it; JS shortest digits agree with Go's. */
function goJsonNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`json: unsupported value: ${String(n)}`);
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

// Go sorts map keys by their UTF-8 bytes, which is code point order, not JS's UTF-16 code unit order.
function compareKeys(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function sortedEntries(o: Record<string, unknown>): [string, unknown][] {
  return Object.entries(o).sort(([a], [b]) => compareKeys(a, b));
}

/** Marshals a decoded `any` (publisher-provided metadata) the way Go marshals map[string]any. */
function marshalAny(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'number') return goJsonNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(marshalAny).join(',')}]`;
  if (typeof v === 'object') {
    const body = sortedEntries(v as Record<string, unknown>).map(([k, x]) => `${goJsonString(k)}:${marshalAny(x)}`);
    return `{${body.join(',')}}`;
  }
  throw new TypeError(`json: unsupported type: ${typeof v}`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function marshalValue(kind: Kind, v: unknown): string {
  if (kind === 'string' || kind === 'ptrString') return goJsonString(typeof v === 'string' ? v : '');
  if (kind === 'bool') return v === true ? 'true' : 'false';
  if (kind === 'strings') return Array.isArray(v) ? `[${v.map((s) => goJsonString(String(s))).join(',')}]` : 'null';
  if (kind === 'freeMap') return isRecord(v) ? marshalAny(v) : 'null';
  if ('array' in kind) return Array.isArray(v) ? `[${v.map((x) => marshalStruct(kind.array, x)).join(',')}]` : 'null';
  if ('map' in kind) {
    if (!isRecord(v)) return 'null';
    const body = sortedEntries(v).map(([k, x]) => `${goJsonString(k)}:${marshalStruct(kind.map, x)}`);
    return `{${body.join(',')}}`;
  }
  if (kind.pointer && (v === undefined || v === null)) return 'null';
  return marshalStruct(kind.struct, v);
}

function marshalStruct(fields: Field[], value: unknown): string {
  const o = isRecord(value) ? value : {};
  const parts: string[] = [];
  for (const field of fields) {
    const v = o[field.name];
    if (field.omitEmpty && (v === undefined || v === null)) continue;
    parts.push(`${goJsonString(field.name)}:${marshalValue(field.kind, v)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The registry's canonical bytes for a server.json (what it stores and returns under `server`).
 *
 * @example
 * canonicalJson({ $schema: 's', name: 'a/b', description: '<d>', version: '1', repository: {}, title: '' })
 * // → '{"$schema":"s","name":"a/b","description":"\u003cd\u003e","title":"","repository":{},"version":"1"}'
 */
export function canonicalJson(server: ServerJSON): string {
  return marshalStruct(serverJson, server);
}
