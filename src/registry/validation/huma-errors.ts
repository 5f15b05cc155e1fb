import type { ErrorObject } from 'ajv';
import { goFormatFloat } from './go-text.js';
import { parseGoUrl } from './go-url.js';

/** One entry of huma's `errors[]` in a 422 body (`huma.ErrorDetail`). */
export interface HumaError {
  message: string;
  location: string;
  value?: unknown;
}

/** Maps a value Ajv saw back to what the client sent (shape.ts validates a key-normalised copy). */
export type OriginalOf = (value: unknown) => unknown;

// Texts from huma v2.37.3 validation/messages.go, so clients see the same words as from the official registry.
const typeMessages: Record<string, string> = {
  string: 'expected string',
  number: 'expected number',
  integer: 'expected integer',
  boolean: 'expected boolean',
  array: 'expected array',
  object: 'expected object',
};

// huma parses parameters with strconv before validating them, so a bad scalar fails with these texts instead.
const paramParseMessages: Record<string, string> = {
  integer: 'invalid integer',
  number: 'invalid float',
  boolean: 'invalid boolean',
};

const simpleFormatMessages: Record<string, string> = {
  'date-time': 'expected string to be RFC 3339 date-time',
  date: 'expected string to be RFC 3339 date',
  time: 'expected string to be RFC 3339 time',
  hostname: 'expected string to be RFC 5890 hostname',
  'idn-hostname': 'expected string to be RFC 5890 hostname',
  ipv4: 'expected string to be RFC 2673 ipv4',
  ipv6: 'expected string to be RFC 2373 ipv6',
  'uri-template': 'expected string to be RFC 6570 uri-template',
  'json-pointer': 'expected string to be RFC 6901 json-pointer',
  'relative-json-pointer': 'expected string to be RFC 6901 relative-json-pointer',
};

const combinators = new Set(['anyOf', 'oneOf', 'not']);
const shadowedByType = new Set(['enum', 'const']);

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

interface Resolved {
  path: string;
  value: unknown;
  found: boolean;
}

/** Turns a JSON pointer into huma's `a.b[0].c` path, using the data to tell array indexes from numeric map keys. */
function resolve(pointer: string, data: unknown, haveData: boolean): Resolved {
  let path = '';
  let current = data;
  let found = haveData;
  for (const segment of pointerSegments(pointer)) {
    const isIndex = Array.isArray(current) || (!found && /^(0|[1-9]\d*)$/.test(segment));
    path += isIndex ? `[${segment}]` : `.${segment}`;
    if (found && current !== null && typeof current === 'object') {
      current = (current as Record<string, unknown>)[segment];
    } else {
      found = false;
      current = undefined;
    }
  }
  return { path, value: current, found };
}

function join(prefix: string, path: string): string {
  if (prefix === '') return path.startsWith('.') ? path.slice(1) : path;
  return prefix + path;
}

function formatMessage(format: string, value: unknown): string {
  if (format === 'uri' || format === 'uri-reference' || format === 'iri' || format === 'iri-reference') {
    const parsed = typeof value === 'string' ? parseGoUrl(value) : undefined;
    const reason = parsed && !parsed.ok ? parsed.error : 'invalid URI';
    return `expected string to be RFC 3986 uri: ${reason}`;
  }
  if (format === 'email' || format === 'idn-email')
    return 'expected string to be RFC 5322 email: mail: invalid address';
  if (format === 'uuid') return 'expected string to be RFC 4122 uuid: invalid UUID';
  return simpleFormatMessages[format] ?? `expected string to be ${format}`;
}

const show = (v: unknown): string => (typeof v === 'number' ? goFormatFloat(v) : String(v));

function messageFor(error: ErrorObject, value: unknown): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return typeMessages[String(p.type).split(',')[0] ?? ''] ?? `expected ${String(p.type)}`;
    case 'required':
      return `expected required property ${String(p.missingProperty)} to be present`;
    case 'additionalProperties':
      return 'unexpected property';
    case 'minLength':
      return `expected length >= ${String(p.limit)}`;
    case 'maxLength':
      return `expected length <= ${String(p.limit)}`;
    case 'pattern':
      return `expected string to match pattern ${String(p.pattern)}`;
    case 'format':
      return formatMessage(String(p.format), value);
    case 'enum':
      return `expected value to be one of "${(p.allowedValues as unknown[]).map(show).join(', ')}"`;
    case 'const':
      return `expected value to be one of "${show(p.allowedValue)}"`;
    case 'minimum':
      return `expected number >= ${show(p.limit)}`;
    case 'exclusiveMinimum':
      return `expected number > ${show(p.limit)}`;
    case 'maximum':
      return `expected number <= ${show(p.limit)}`;
    case 'exclusiveMaximum':
      return `expected number < ${show(p.limit)}`;
    case 'multipleOf':
      return `expected number to be a multiple of ${show(p.multipleOf)}`;
    case 'minItems':
      return `expected array length >= ${String(p.limit)}`;
    case 'maxItems':
      return `expected array length <= ${String(p.limit)}`;
    case 'minProperties':
      return `expected object with at least ${String(p.limit)} properties`;
    case 'maxProperties':
      return `expected object with at most ${String(p.limit)} properties`;
    case 'uniqueItems':
      return 'expected array items to be unique';
    case 'anyOf':
      return 'expected value to match at least one schema but matched none';
    case 'oneOf':
      return p.passingSchemas
        ? 'expected value to match exactly one schema but matched multiple'
        : 'expected value to match exactly one schema but matched none';
    case 'not':
      return 'expected value to not match schema';
    case 'dependentRequired':
    case 'dependencies':
      return `expected property ${String(p.missingProperty)} to be present when ${String(p.property)} is present`;
    default:
      return error.message ?? 'validation failed';
  }
}

/**
 * Maps Ajv errors (compiled with `allErrors`) to huma's error details: huma's message texts and its location syntax
 * (`body.packages[0].registryType`, `query.limit`, `header.Authorization`). Huma stops at a type mismatch and
 * reports a failed `anyOf`/`oneOf`/`not` as one error, so the extra errors Ajv reports in those cases are dropped.
 *
 * @param prefix `body`, `query`, `path` or `header`; for the non-body prefixes a missing top-level property and an
 *   unparsable scalar get huma's parameter texts (`required query parameter is missing`, `invalid integer`).
 * @param data the validated value, used for `value` and to tell array indexes from map keys (falls back to
 *   `error.data` when Ajv ran with `verbose`).
 */
export function humaErrorsFromAjv(
  errors: readonly ErrorObject[] | null | undefined,
  prefix: string,
  data?: unknown,
  originalOf: OriginalOf = (v) => v,
): HumaError[] {
  if (!errors || errors.length === 0) return [];
  const haveData = data !== undefined;
  const collapsed = errors.filter((e) => combinators.has(e.keyword)).map((e) => `${e.schemaPath}/`);
  const typed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const isParams = prefix !== '' && prefix !== 'body';
  const out: HumaError[] = [];
  const seen = new Set<string>();

  for (const error of errors) {
    if (collapsed.some((c) => error.schemaPath.startsWith(c))) continue;
    if (shadowedByType.has(error.keyword) && typed.has(error.instancePath)) continue;
    const at = resolve(error.instancePath, data, haveData);
    const value = at.found ? at.value : error.data;
    let location = join(prefix, at.path);
    let message = messageFor(error, value);
    let reported: unknown = originalOf(value);

    if (error.keyword === 'additionalProperties') {
      location = join(
        prefix,
        `${at.path}.${String((error.params as { additionalProperty: unknown }).additionalProperty)}`,
      );
    } else if (isParams && error.keyword === 'required' && error.instancePath === '') {
      location = `${prefix}.${String((error.params as { missingProperty: unknown }).missingProperty)}`;
      message = `required ${prefix} parameter is missing`;
      reported = '';
    } else if (isParams && error.keyword === 'type' && pointerSegments(error.instancePath).length === 1) {
      message = paramParseMessages[String((error.params as { type: unknown }).type)] ?? message;
    }

    const key = `${location}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // huma's ErrorDetail.Value is `omitempty`, so a nil (null) value is left out of the body.
    out.push(
      reported === undefined || reported === null ? { message, location } : { message, location, value: reported },
    );
  }
  return out;
}
