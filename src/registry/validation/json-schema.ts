import { isIPv6 } from 'node:net';
import { canonicalJson } from './canonical.js';
import { goQuote } from './go-text.js';
import { goHostname, parseGoUrl } from './go-url.js';
import type { ValidationIssue } from './issues.js';
import { SERVER_SCHEMA_2025_12_11 } from './json-schema-def.js';
import type { SchemaDef } from './json-schema-def.js';
import type { ServerJSON } from './server-json.js';

/**
 * The full JSON-Schema layer of `POST /validate` (upstream runs santhosh-tekuri/jsonschema v5 on `json.Marshal` of
 * the decoded struct). A small evaluator over our schema encoding rather than Ajv, because the issues must carry
 * what that library reports and Ajv does not expose: the keyword path through every `$ref` (for `reference`) and
 * its "detailed output", where only the innermost failures (the leaves under failed `anyOf`/`allOf`/`$ref`)
 * become issues, each with its message text.
 *
 * Deliberate difference: upstream visits object properties in Go map order (random); we use schema order.
 */

interface Failure {
  message: string;
  instance: string;
  reference: string;
  causes: Failure[];
}

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** santhosh-tekuri's `quote`: Go `%q`, then single quotes instead of double. */
function quote(s: string): string {
  const q = goQuote(s).replace(/\\"/g, '"').replace(/'/g, "\\'");
  return `'${q.slice(1, -1)}'`;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

function isUri(v: unknown): boolean {
  if (typeof v !== 'string') return true;
  const parsed = parseGoUrl(v);
  if (!parsed.ok || parsed.url.scheme === '') return false;
  const hostname = goHostname(parsed.url);
  if (!hostname.includes(':')) return true;
  return parsed.url.host.includes('[') && parsed.url.host.includes(']') && isIPv6(hostname);
}

const runeCount = (s: string) => Array.from(s).length;

class Evaluator {
  constructor(private readonly root: SchemaDef) {}

  private resolve(ref: string): SchemaDef {
    const name = ref.replace('#/definitions/', '');
    const target = this.root.definitions?.[name];
    if (!target) throw new Error(`unknown $ref ${ref}`);
    return target;
  }

  /**
   * @param loc the schema's own location (`#/definitions/Package/properties/version`)
   * @param from the keyword path from the root with each `$ref` shown as `[target]`, upstream's reference format
   */
  validate(s: SchemaDef, loc: string, from: string[], value: unknown, instance: string): Failure | undefined {
    const fail = (keyword: string, message: string, causes: Failure[] = []): Failure => ({
      message,
      instance,
      reference: `${loc}/${keyword} from: ${[...from, keyword].join('/')}`,
      causes,
    });
    if (s.$ref !== undefined) {
      // Draft-07: a $ref makes its siblings irrelevant.
      const inner = this.validate(this.resolve(s.$ref), s.$ref, [...from, `[${s.$ref}]`], value, instance);
      if (!inner) return undefined;
      return fail('$ref', `doesn't validate with ${quote(s.$ref)}`, inner.message === '' ? inner.causes : [inner]);
    }
    const type = jsonType(value);
    if (s.type !== undefined && s.type !== type) return fail('type', `expected ${s.type}, but got ${type}`);

    const errors: Failure[] = [];
    const child = (sub: SchemaDef, keyword: string[], v: unknown, inst: string) => {
      const f = this.validate(sub, `${loc}/${keyword.join('/')}`, [...from, ...keyword], v, inst);
      if (f) errors.push(f);
    };
    if (s.const !== undefined && value !== s.const) errors.push(fail('const', `value must be ${goQuote(s.const)}`));
    if (s.enum && !s.enum.includes(value as string)) {
      const listed = s.enum.map((e) => goQuote(e));
      errors.push(
        fail('enum', listed.length === 1 ? `value must be ${listed[0]}` : `value must be one of ${listed.join(', ')}`),
      );
    }
    if (s.format === 'uri' && !isUri(value)) {
      const shown = typeof value === 'string' ? quote(value) : String(value);
      errors.push(fail('format', `${shown} is not valid 'uri'`));
    }
    if (type === 'object') {
      const o = value as Record<string, unknown>;
      const missing = (s.required ?? []).filter((p) => !Object.hasOwn(o, p));
      if (missing.length > 0) errors.push(fail('required', `missing properties: ${missing.map(quote).join(', ')}`));
      for (const [name, sub] of Object.entries(s.properties ?? {})) {
        if (Object.hasOwn(o, name)) child(sub, ['properties', escape(name)], o[name], `${instance}/${escape(name)}`);
      }
      if (typeof s.additionalProperties === 'object') {
        for (const [name, v] of Object.entries(o)) {
          if (s.properties && Object.hasOwn(s.properties, name)) continue;
          child(s.additionalProperties, ['additionalProperties'], v, `${instance}/${escape(name)}`);
        }
      }
    }
    if (type === 'array' && s.items) {
      (value as unknown[]).forEach((item, i) => child(s.items as SchemaDef, ['items'], item, `${instance}/${i}`));
    }
    if (type === 'string') {
      const str = value as string;
      const length = runeCount(str);
      if (s.minLength !== undefined && length < s.minLength) {
        errors.push(fail('minLength', `length must be >= ${s.minLength}, but got ${length}`));
      }
      if (s.maxLength !== undefined && length > s.maxLength) {
        errors.push(fail('maxLength', `length must be <= ${s.maxLength}, but got ${length}`));
      }
      if (s.pattern !== undefined && !(s.regex ?? new RegExp(s.pattern, 'u')).test(str)) {
        errors.push(fail('pattern', `does not match pattern ${quote(s.pattern)}`));
      }
    }
    if (s.not && !this.validate(s.not, `${loc}/not`, [...from, 'not'], value, instance)) {
      errors.push(fail('not', 'not failed'));
    }
    (s.allOf ?? []).forEach((sub, i) => {
      const f = this.validate(sub, `${loc}/allOf/${i}`, [...from, 'allOf', String(i)], value, instance);
      if (f) errors.push(fail(`allOf/${i}`, 'allOf failed', [f]));
    });
    if (s.anyOf) {
      const causes: Failure[] = [];
      const matched = s.anyOf.some((sub, i) => {
        const f = this.validate(sub, `${loc}/anyOf/${i}`, [...from, 'anyOf', String(i)], value, instance);
        if (f) causes.push(f);
        return !f;
      });
      if (!matched) errors.push(fail('anyOf', 'anyOf failed', causes));
    }
    if (errors.length === 0) return undefined;
    if (errors.length === 1) return errors[0];
    return { message: '', instance, reference: '', causes: errors };
  }
}

/** Upstream's ConvertJSONPointerToBracketNotation, quirks included (any all-digit segment becomes `[n]`). */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  const parts = pointer.replace(/^\//, '').split('/').join('.').split('.');
  const isInt = (p: string | undefined) => p !== undefined && /^[+-]?\d+$/.test(p);
  let out = '';
  parts.forEach((part, i) => {
    if (isInt(part)) {
      out += `[${part}]`;
      if (i < parts.length - 1 && !isInt(parts[i + 1])) out += '.';
    } else {
      if (i > 0 && !isInt(parts[i - 1])) out += '.';
      out += part;
    }
  });
  return out;
}

// Upstream rewords two library phrases for readability; the rest is the library's text.
const friendly = (m: string) =>
  m.replaceAll('missing properties:', 'missing required fields:').replaceAll('is not valid', 'has invalid format');

function collectLeaves(f: Failure, out: ValidationIssue[]): void {
  if (f.causes.length > 0) {
    for (const cause of f.causes) collectLeaves(cause, out);
    return;
  }
  // Like upstream, failures about the document root (no instance location) are not reported.
  if (f.instance === '' || f.message === '') return;
  out.push({
    type: 'schema',
    path: pointerToPath(f.instance),
    message: friendly(f.message),
    severity: 'error',
    reference: f.reference,
  });
}

const evaluator = new Evaluator(SERVER_SCHEMA_2025_12_11);

/** Schema issues for a server.json, checked (as upstream does) on its Go-marshalled form. */
export function validateJsonSchema(server: ServerJSON): ValidationIssue[] {
  const document: unknown = JSON.parse(canonicalJson(server));
  const failure = evaluator.validate(SERVER_SCHEMA_2025_12_11, '#', [], document, '');
  const issues: ValidationIssue[] = [];
  if (failure) collectLeaves(failure, issues);
  return issues;
}
