import { describe, expect, it } from 'vitest';
import {
  CURRENT_SCHEMA_URL,
  canonicalJson,
  checkRequestShape,
  validateServerJson,
} from '../../../src/registry/validation/index.js';

// Keeps the @example blocks in the module's JSDoc true.
describe('documented examples', () => {
  it('checkRequestShape', () => {
    expect(
      checkRequestShape({
        $schema: 'https://x/schemas/2025-12-11/server.schema.json',
        name: 'a/b',
        description: '',
        version: '1',
      }),
    ).toEqual({ ok: false, errors: [{ message: 'expected length >= 1', location: 'body.description', value: '' }] });
  });

  it('canonicalJson', () => {
    expect(
      canonicalJson({ $schema: 's', name: 'a/b', description: '<d>', version: '1', repository: {}, title: '' }),
    ).toBe('{"$schema":"s","name":"a/b","description":"\\u003cd\\u003e","title":"","repository":{},"version":"1"}');
  });

  it('validateServerJson', () => {
    const result = validateServerJson(
      { $schema: CURRENT_SCHEMA_URL, name: 'com.example/xy', description: 'd', version: 'latest' },
      'publish',
    );
    expect(result).toMatchObject({
      valid: false,
      issues: [{ type: 'semantic', path: 'version', reference: 'reserved-version-string' }],
    });
    expect(result.issues).toHaveLength(1);
  });
});
