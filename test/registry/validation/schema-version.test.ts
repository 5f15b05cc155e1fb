import { describe, expect, it } from 'vitest';
import {
  CURRENT_SCHEMA_URL,
  SUPPORTED_SCHEMA_VERSIONS,
  checkSchemaVersion,
  extractSchemaVersion,
  validateServerJson,
} from '../../../src/registry/validation/index.js';

const url = (version: string, host = 'https://static.modelcontextprotocol.io') =>
  `${host}/schemas/${version}/server.schema.json`;

describe('schema version (layer B)', () => {
  it('names the current schema', () => {
    expect(CURRENT_SCHEMA_URL).toBe('https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json');
    expect(SUPPORTED_SCHEMA_VERSIONS).toEqual([
      '2025-07-09',
      '2025-09-16',
      '2025-09-29',
      '2025-10-11',
      '2025-10-17',
      '2025-12-11',
    ]);
  });

  it('accepts the current URL silently', () => {
    expect(checkSchemaVersion(CURRENT_SCHEMA_URL)).toEqual({ issues: [], version: '2025-12-11' });
  });

  it.each([undefined, ''])('requires $schema (%j)', (value) => {
    expect(checkSchemaVersion(value).issues).toEqual([
      {
        type: 'semantic',
        path: 'schema',
        message: '$schema field is required',
        severity: 'error',
        reference: 'schema-field-required',
      },
    ]);
  });

  it('reports a URL without a version segment', () => {
    expect(checkSchemaVersion('https://example.com/server.json').issues).toEqual([
      {
        type: 'schema',
        path: 'schema',
        message:
          'failed to extract schema version from URL: invalid schema URL format: https://example.com/server.json',
        severity: 'error',
        reference: 'schema-version-extraction-error',
      },
    ]);
  });

  it.each(SUPPORTED_SCHEMA_VERSIONS.filter((v) => v !== '2025-12-11'))(
    'warns about the older version %s',
    (version) => {
      expect(checkSchemaVersion(url(version))).toEqual({
        version,
        issues: [
          {
            type: 'semantic',
            path: 'schema',
            message: `schema version ${version} is not the current version (2025-12-11). Consider updating to the latest schema version`,
            severity: 'warning',
            reference: 'schema-version-deprecated',
          },
        ],
      });
    },
  );

  it('rejects versions the registry does not embed (draft), after the deprecation warning', () => {
    expect(checkSchemaVersion(url('draft')).issues).toEqual([
      expect.objectContaining({ severity: 'warning', reference: 'schema-version-deprecated' }),
      {
        type: 'schema',
        path: 'schema',
        message:
          'schema version draft not available: schema version draft not found in embedded schemas: open schemas/draft.json: file does not exist',
        severity: 'error',
        reference: 'schema-version-not-available',
      },
    ]);
  });

  it('ignores the host for the version, but still warns when the URL is not exactly the current one', () => {
    expect(extractSchemaVersion(url('2025-12-11', 'http://mirror.example'))).toBe('2025-12-11');
    const result = checkSchemaVersion(url('2025-12-11', 'http://mirror.example'));
    expect(result.version).toBe('2025-12-11');
    expect(result.issues.map((i) => [i.severity, i.message])).toEqual([
      [
        'warning',
        'schema version 2025-12-11 is not the current version (2025-12-11). Consider updating to the latest schema version',
      ],
    ]);
  });

  it('keeps a document with a warning valid', () => {
    const server = { $schema: url('2025-09-29'), name: 'io.github.a/bc', description: 'd', version: '1.0.0' };
    expect(validateServerJson(server, 'publish')).toMatchObject({ valid: true, issues: [{ severity: 'warning' }] });
    expect(validateServerJson(server, 'all')).toMatchObject({ valid: true, issues: [{ severity: 'warning' }] });
  });
});
