import type { ValidationIssue } from './issues.js';

/**
 * Layer B, the `$schema` version check (upstream `internal/validators/schema.go`), which publish and `/validate`
 * both run. The host of the URL is never checked: only the `/schemas/<version>/server.schema.json` segment counts.
 */

/** Every schema version the official registry embeds, oldest first. `draft` is deliberately not among them. */
export const SUPPORTED_SCHEMA_VERSIONS = [
  '2025-07-09',
  '2025-09-16',
  '2025-09-29',
  '2025-10-11',
  '2025-10-17',
  '2025-12-11',
] as const;

export type SchemaVersion = (typeof SUPPORTED_SCHEMA_VERSIONS)[number];

export const CURRENT_SCHEMA_VERSION: SchemaVersion = '2025-12-11';
export const CURRENT_SCHEMA_URL = `https://static.modelcontextprotocol.io/schemas/${CURRENT_SCHEMA_VERSION}/server.schema.json`;

const versionInUrl = /\/schemas\/([A-Za-z0-9_~.-]+)\/server\.schema\.json/;

/** The version segment of a `$schema` URL, or undefined when the URL has none. */
export function extractSchemaVersion(schemaUrl: string): string | undefined {
  return versionInUrl.exec(schemaUrl)?.[1];
}

export function isSupportedSchemaVersion(version: string): version is SchemaVersion {
  return (SUPPORTED_SCHEMA_VERSIONS as readonly string[]).includes(version);
}

export interface SchemaVersionCheck {
  issues: ValidationIssue[];
  /** The embedded version the document declares, when there is one; full schema validation runs only then. */
  version?: SchemaVersion;
}

/**
 * Upstream's messages and order, including its quirks: a non-current URL gets the "deprecated" warning before the
 * availability check (so `draft` yields a warning and an error), and the comparison is against the full current
 * URL, so another host with the current version still gets the warning.
 */
export function checkSchemaVersion(schemaUrl: string | undefined): SchemaVersionCheck {
  const path = 'schema';
  if (!schemaUrl) {
    return {
      issues: [
        {
          type: 'semantic',
          path,
          message: '$schema field is required',
          severity: 'error',
          reference: 'schema-field-required',
        },
      ],
    };
  }
  const version = extractSchemaVersion(schemaUrl);
  if (version === undefined) {
    const message = `failed to extract schema version from URL: invalid schema URL format: ${schemaUrl}`;
    return {
      issues: [{ type: 'schema', path, message, severity: 'error', reference: 'schema-version-extraction-error' }],
    };
  }
  const issues: ValidationIssue[] = [];
  if (schemaUrl !== CURRENT_SCHEMA_URL) {
    issues.push({
      type: 'semantic',
      path,
      message: `schema version ${version} is not the current version (${CURRENT_SCHEMA_VERSION}). Consider updating to the latest schema version`,
      severity: 'warning',
      reference: 'schema-version-deprecated',
    });
  }
  if (!isSupportedSchemaVersion(version)) {
    // The tail is Go's embed.FS error for a missing file, which upstream wraps twice.
    const cause = `schema version ${version} not found in embedded schemas: open schemas/${version}.json: file does not exist`;
    issues.push({
      type: 'schema',
      path,
      message: `schema version ${version} not available: ${cause}`,
      severity: 'error',
      reference: 'schema-version-not-available',
    });
    return { issues };
  }
  return { issues, version };
}
