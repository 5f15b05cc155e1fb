import type { ValidationIssue, ValidationResult } from './issues.js';
import { validateJsonSchema } from './json-schema.js';
import { checkSchemaVersion } from './schema-version.js';
import { validateSemantics } from './semantic.js';
import type { ServerJSON } from './server-json.js';

/**
 * server.json validation, pure and synchronous, shared by the publish path, `POST /validate`, the CLI's offline
 * validate and the importer. The official registry validates in layers, and so do we:
 * A. request shape (huma struct validation) — `checkRequestShape`, a 422 with huma error details when it fails;
 * B. `$schema` version — part of `validateServerJson`;
 * C. semantic rules — part of `validateServerJson`;
 * plus the full JSON Schema, which only `/validate` runs (`level: 'all'`).
 * Package-ownership, remote-URL uniqueness and duplicate checks need I/O and live in the registry service.
 */

export type ValidationLevel = 'publish' | 'all';

/**
 * Layers B and C (`'publish'`, upstream's ValidationSchemaVersionAndSemantic), plus the full JSON Schema (`'all'`,
 * upstream's ValidationAll). Issues come in upstream's order: schema version, schema, semantic.
 * Expects a value that passed `checkRequestShape`.
 *
 * @example
 * validateServerJson({ $schema: CURRENT_SCHEMA_URL, name: 'com.example/xy', description: 'd', version: 'latest' }, 'publish')
 * // → { valid: false, issues: [{ type: 'semantic', path: 'version', reference: 'reserved-version-string', … }] }
 */
export function validateServerJson(server: ServerJSON, level: ValidationLevel): ValidationResult {
  const issues: ValidationIssue[] = [];
  const schema = checkSchemaVersion(server.$schema);
  issues.push(...schema.issues);
  if (level === 'all' && schema.version !== undefined) issues.push(...validateJsonSchema(server));
  issues.push(...validateSemantics(server));
  return { valid: !issues.some((i) => i.severity === 'error'), issues };
}

export { canonicalJson, goJsonString } from './canonical.js';
export { humaErrorsFromAjv } from './huma-errors.js';
export type { HumaError } from './huma-errors.js';
export type { ValidationIssue, ValidationIssueType, ValidationResult, ValidationSeverity } from './issues.js';
export { validateJsonSchema } from './json-schema.js';
export {
  CURRENT_SCHEMA_URL,
  CURRENT_SCHEMA_VERSION,
  SUPPORTED_SCHEMA_VERSIONS,
  checkSchemaVersion,
  extractSchemaVersion,
  isSupportedSchemaVersion,
} from './schema-version.js';
export type { SchemaVersion, SchemaVersionCheck } from './schema-version.js';
export { looksLikeVersionRange, serverNameError, validateSemantics } from './semantic.js';
export { ServerJSONSchema, ServerJSONSchema as serverJsonSchema, PUBLISHER_PROVIDED_KEY } from './server-json.js';
export type {
  Argument,
  Icon,
  Input,
  KeyValueInput,
  Package,
  Repository,
  ServerJSON,
  ServerMeta,
  Transport,
} from './server-json.js';
export { checkRequestShape, goEqualFold } from './shape.js';
export type { ShapeResult } from './shape.js';
