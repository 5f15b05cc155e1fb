import { z } from 'zod';
import type { Action, Permission } from '../permissions.js';

/**
 * Claim → permission rules for the generic OIDC login (`WHARF_OIDC_RULES` / `WHARF_OIDC_RULES_FILE`).
 * Every rule whose condition holds for the ID token adds its grants; a token matching no rule gets no
 * registry token at all, so belonging to the identity provider alone never grants anything.
 *
 * @example
 * [
 *   { "claim": "groups", "contains": "platform", "grant": [{ "action": "publish", "resource": "com.acme/*" }] },
 *   { "claim": "email", "endsWith": "@acme.com", "grant": [{ "action": "edit", "resource": "*" }] },
 *   { "claim": "sub", "present": true, "grant": [{ "action": "publish", "resource": "com.acme.{claim:sub}/*" }] }
 * ]
 */
export interface OidcRule {
  /** Claim name; a dotted path (`realm_access.roles`) reaches into nested objects. */
  claim: string;
  /** The claim (or one element of an array claim) equals this value. */
  equals?: string | number | boolean | undefined;
  /** The array claim has this element, or the string claim equals it. */
  contains?: string | undefined;
  /** The string claim (or one element of an array claim) ends with this suffix. */
  endsWith?: string | undefined;
  /** The string claim (or one element of an array claim) matches this regular expression. */
  matches?: string | undefined;
  /** The claim exists and is not empty. */
  present?: true | undefined;
  grant: Permission[];
}

const ACTIONS = [
  'publish',
  'edit',
  'admin',
  'context_reader',
  'context_writer',
  'gateway_call',
] as const satisfies readonly Action[];
const OPERATORS = ['equals', 'contains', 'endsWith', 'matches', 'present'] as const;
const TEMPLATE = /\{claim:([A-Za-z0-9_.:-]+)\}/g;
/** A templated value must stay one safe name segment, so a claim cannot widen the pattern (no `*`, `/` or dots). */
const SAFE_SEGMENT = /^[A-Za-z0-9-]+$/;

const permissionSchema = z
  .object({
    action: z.enum(ACTIONS, { message: `action must be one of ${ACTIONS.join(', ')}` }),
    resource: z.string().min(1, 'resource must not be empty'),
  })
  .strict();

const ruleSchema = z
  .object({
    claim: z.string().min(1, 'claim must not be empty'),
    equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
    contains: z.string().optional(),
    endsWith: z.string().min(1).optional(),
    matches: z
      .string()
      .optional()
      .refine((v) => v === undefined || isRegExp(v), 'matches must be a valid regular expression'),
    present: z.literal(true).optional(),
    grant: z.array(permissionSchema).min(1, 'grant must list at least one {action, resource}'),
  })
  .strict()
  .refine((r) => OPERATORS.filter((op) => r[op] !== undefined).length === 1, {
    message: `each rule needs exactly one of ${OPERATORS.join(', ')}`,
  });

export const oidcRulesSchema = z.array(ruleSchema);

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** Parses rules from JSON text; the error message says what is wrong and where, for the config error. */
export function parseOidcRules(json: string): OidcRule[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new Error(`is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = oidcRulesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `at [${issue.path.join('].[')}]` : '';
    throw new Error(`must be a JSON array of rules: ${issue?.message ?? 'invalid'} ${where}`.trim());
  }
  return parsed.data as OidcRule[];
}

export function claimAt(claims: Record<string, unknown>, claim: string): unknown {
  if (claim in claims) return claims[claim];
  let value: unknown = claims;
  for (const part of claim.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function holds(rule: OidcRule, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  const values = Array.isArray(value) ? value : [value];
  if (rule.present) return values.length > 0 && values.some((v) => v !== '');
  if (rule.equals !== undefined) return values.some((v) => v === rule.equals);
  if (rule.contains !== undefined) return values.some((v) => v === rule.contains);
  const texts = values.filter((v): v is string => typeof v === 'string');
  if (rule.endsWith !== undefined) return texts.some((v) => v.endsWith(rule.endsWith as string));
  if (rule.matches !== undefined) {
    const pattern = new RegExp(rule.matches);
    return texts.some((v) => pattern.test(v));
  }
  return false;
}

/** Fills `{claim:name}` placeholders; undefined when a value is missing or not a safe name segment. */
function expand(resource: string, claims: Record<string, unknown>): string | undefined {
  let ok = true;
  const result = resource.replace(TEMPLATE, (_all, name: string) => {
    const value = claimAt(claims, name);
    const text = typeof value === 'number' ? String(value) : value;
    if (typeof text !== 'string' || !SAFE_SEGMENT.test(text)) {
      ok = false;
      return '';
    }
    return text;
  });
  return ok ? result : undefined;
}

/** The permissions the rules grant for these ID-token claims, without duplicates, in rule order. */
export function permissionsFromRules(rules: readonly OidcRule[], claims: Record<string, unknown>): Permission[] {
  const granted: Permission[] = [];
  const seen = new Set<string>();
  for (const rule of rules) {
    if (!holds(rule, claimAt(claims, rule.claim))) continue;
    for (const grant of rule.grant) {
      const resource = expand(grant.resource, claims);
      if (resource === undefined) continue;
      const key = `${grant.action} ${resource}`;
      if (seen.has(key)) continue;
      seen.add(key);
      granted.push({ action: grant.action, resource });
    }
  }
  return granted;
}
