import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { CURRENT_SCHEMA_URL, checkRequestShape, humaErrorsFromAjv } from '../../../src/registry/validation/index.js';
import type { HumaError } from '../../../src/registry/validation/index.js';

const base = () => ({
  $schema: CURRENT_SCHEMA_URL,
  name: 'io.github.example/weather',
  description: 'Weather data',
  version: '1.0.0',
});
const stdio = (extra: Record<string, unknown> = {}) => ({
  registryType: 'npm',
  identifier: 'weather-mcp',
  transport: { type: 'stdio' },
  ...extra,
});

function errorsOf(body: unknown): HumaError[] {
  const result = checkRequestShape(body);
  if (result.ok) throw new Error('expected the shape check to fail');
  return result.errors;
}

const brief = (errors: HumaError[]) => errors.map(({ message, location }) => ({ message, location }));

describe('checkRequestShape: huma messages and locations', () => {
  it('reproduces the verbatim 422 body from issues #535/#560', () => {
    const pkg = { registry_type: 'npm', identifier: 'weather-mcp', transport: { type: 'stdio' } };
    expect(errorsOf({ ...base(), packages: [pkg] })).toEqual([
      { message: 'expected required property registryType to be present', location: 'body.packages[0]', value: pkg },
      { message: 'unexpected property', location: 'body.packages[0].registry_type', value: pkg },
    ]);
  });

  it.each<[string, Record<string, unknown>, { message: string; location: string }[]]>([
    [
      'missing $schema',
      { $schema: undefined },
      [{ message: 'expected required property $schema to be present', location: 'body' }],
    ],
    ['empty $schema', { $schema: '' }, [{ message: 'expected length >= 1', location: 'body.$schema' }]],
    [
      'unparsable $schema',
      { $schema: '::' },
      [
        {
          message: 'expected string to be RFC 3986 uri: parse "::": missing protocol scheme',
          location: 'body.$schema',
        },
      ],
    ],
    [
      'short name without slash',
      { name: 'ab' },
      [
        { message: 'expected length >= 3', location: 'body.name' },
        { message: 'expected string to match pattern ^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$', location: 'body.name' },
      ],
    ],
    ['long name', { name: `a/${'b'.repeat(199)}` }, [{ message: 'expected length <= 200', location: 'body.name' }]],
    [
      'long description',
      { description: 'x'.repeat(101) },
      [{ message: 'expected length <= 100', location: 'body.description' }],
    ],
    ['empty description', { description: '' }, [{ message: 'expected length >= 1', location: 'body.description' }]],
    ['empty title', { title: '' }, [{ message: 'expected length >= 1', location: 'body.title' }]],
    ['numeric version', { version: 1 }, [{ message: 'expected string', location: 'body.version' }]],
    ['null name', { name: null }, [{ message: 'expected string', location: 'body.name' }]],
    [
      'website with a bad host',
      { websiteUrl: 'https://exa mple.com' },
      [
        {
          message:
            'expected string to be RFC 3986 uri: parse "https://exa mple.com": invalid character " " in host name',
          location: 'body.websiteUrl',
        },
      ],
    ],
    ['repository as a string', { repository: 'github' }, [{ message: 'expected object', location: 'body.repository' }]],
    ['packages as an object', { packages: {} }, [{ message: 'expected array', location: 'body.packages' }]],
    ['unknown top-level field', { status: 'active' }, [{ message: 'unexpected property', location: 'body.status' }]],
    [
      'unknown _meta key',
      { _meta: { 'not namespaced': {} } },
      [{ message: 'unexpected property', location: 'body._meta.not namespaced' }],
    ],
    [
      'icon problems',
      { icons: [{ mimeType: 'image/gif', sizes: ['big'], theme: 'blue' }] },
      [
        { message: 'expected required property src to be present', location: 'body.icons[0]' },
        {
          message: 'expected value to be one of "image/png, image/jpeg, image/jpg, image/svg+xml, image/webp"',
          location: 'body.icons[0].mimeType',
        },
        { message: 'expected string to match pattern ^(\\d+x\\d+|any)$', location: 'body.icons[0].sizes[0]' },
        { message: 'expected value to be one of "light, dark"', location: 'body.icons[0].theme' },
      ],
    ],
    [
      'icon src too long',
      { icons: [{ src: `https://x.io/${'a'.repeat(250)}` }] },
      [{ message: 'expected length <= 255', location: 'body.icons[0].src' }],
    ],
    [
      'package field problems',
      {
        packages: [
          stdio({
            registryType: '',
            identifier: '',
            version: '',
            fileSha256: 'ABC',
            registryBaseUrl: '%zz',
            transport: {},
          }),
        ],
      },
      [
        { message: 'expected length >= 1', location: 'body.packages[0].registryType' },
        {
          message: 'expected string to be RFC 3986 uri: parse "%zz": invalid URL escape "%zz"',
          location: 'body.packages[0].registryBaseUrl',
        },
        { message: 'expected length >= 1', location: 'body.packages[0].identifier' },
        { message: 'expected length >= 1', location: 'body.packages[0].version' },
        { message: 'expected string to match pattern ^[a-f0-9]{64}$', location: 'body.packages[0].fileSha256' },
        { message: 'expected required property type to be present', location: 'body.packages[0].transport' },
      ],
    ],
    [
      'missing transport',
      { packages: [{ registryType: 'npm', identifier: 'x' }] },
      [{ message: 'expected required property transport to be present', location: 'body.packages[0]' }],
    ],
    [
      'argument and input problems',
      {
        packages: [
          stdio({
            runtimeArguments: [
              { format: 'text', isRequired: 'yes', choices: [1], variables: { v: { format: 'json' } } },
            ],
            environmentVariables: [{ value: 'x' }],
          }),
        ],
      },
      [
        { message: 'expected required property type to be present', location: 'body.packages[0].runtimeArguments[0]' },
        {
          message: 'expected value to be one of "string, number, boolean, filepath"',
          location: 'body.packages[0].runtimeArguments[0].variables.v.format',
        },
        { message: 'expected boolean', location: 'body.packages[0].runtimeArguments[0].isRequired' },
        {
          message: 'expected value to be one of "string, number, boolean, filepath"',
          location: 'body.packages[0].runtimeArguments[0].format',
        },
        { message: 'expected string', location: 'body.packages[0].runtimeArguments[0].choices[0]' },
        {
          message: 'expected required property name to be present',
          location: 'body.packages[0].environmentVariables[0]',
        },
      ],
    ],
    [
      'remote header without a name and a bad variable',
      { remotes: [{ type: 'sse', url: 'https://x.io', headers: [{}], variables: { a: 'b' } }] },
      [
        { message: 'expected required property name to be present', location: 'body.remotes[0].headers[0]' },
        { message: 'expected object', location: 'body.remotes[0].variables.a' },
      ],
    ],
  ])('%s', (_name, patch, expected) => {
    const body: Record<string, unknown> = { ...base(), ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete body[k];
    expect(brief(errorsOf(body))).toEqual(expected);
  });

  it('reports a non-object body at "body"', () => {
    expect(errorsOf([])).toEqual([{ message: 'expected object', location: 'body', value: [] }]);
  });

  it('puts the offending string (or the object, for required and unexpected) in value', () => {
    const errors = errorsOf({ ...base(), description: '', Extra: 1 });
    expect(errors).toEqual([
      { message: 'expected length >= 1', location: 'body.description', value: '' },
      { message: 'unexpected property', location: 'body.Extra', value: { ...base(), description: '', Extra: 1 } },
    ]);
  });

  it('leaves value out for null, as huma’s omitempty does', () => {
    expect(errorsOf({ ...base(), name: null })).toEqual([{ message: 'expected string', location: 'body.name' }]);
  });

  it('accepts what huma accepts: relative URIs, any transport type, empty version', () => {
    const result = checkRequestShape({
      ...base(),
      version: '',
      websiteUrl: 'example.com',
      repository: {},
      packages: [stdio({ transport: { type: 'websocket', url: '{anything}' } })],
      remotes: [{ type: 'stdio' }],
    });
    expect(result.ok).toBe(true);
  });
});

describe('checkRequestShape: case-insensitive keys and nulls', () => {
  it('normalises struct keys to their canonical spelling, as huma and encoding/json match them', () => {
    const result = checkRequestShape({
      $SCHEMA: CURRENT_SCHEMA_URL,
      Name: 'io.github.example/weather',
      DESCRIPTION: 'Weather data',
      version: '1.0.0',
      WebsiteURL: 'https://example.com',
      Packages: [
        {
          RegistryType: 'npm',
          IDENTIFIER: 'x',
          Transport: { TYPE: 'stdio' },
          RuntimeArguments: [{ Type: 'named', NAME: '--a' }],
        },
      ],
      icons: [{ src: 'https://example.com/i.png', ſizes: ['any'] }],
      _META: { 'IO.ModelContextProtocol.Registry/Publisher-Provided': { Tool: { Nested: true } } },
    });
    expect(result).toEqual({
      ok: true,
      value: {
        $schema: CURRENT_SCHEMA_URL,
        name: 'io.github.example/weather',
        description: 'Weather data',
        version: '1.0.0',
        websiteUrl: 'https://example.com',
        packages: [
          {
            registryType: 'npm',
            identifier: 'x',
            transport: { type: 'stdio' },
            runtimeArguments: [{ type: 'named', name: '--a' }],
          },
        ],
        icons: [{ src: 'https://example.com/i.png', sizes: ['any'] }],
        _meta: { 'io.modelcontextprotocol.registry/publisher-provided': { Tool: { Nested: true } } },
      },
    });
  });

  it('leaves map keys (variables) alone but normalises the Input structs inside', () => {
    const result = checkRequestShape({
      ...base(),
      remotes: [
        { type: 'sse', url: 'https://{Tenant_ID}.example.com', Variables: { Tenant_ID: { IsRequired: true } } },
      ],
    });
    expect(result.ok && result.value.remotes).toEqual([
      { type: 'sse', url: 'https://{Tenant_ID}.example.com', variables: { Tenant_ID: { isRequired: true } } },
    ]);
  });

  it('lets the later of two spellings win, like encoding/json', () => {
    const result = checkRequestShape({ ...base(), title: 'First', TITLE: 'Second' });
    expect(result.ok && result.value.title).toBe('Second');
  });

  it('drops null optional fields, which huma skips and Go leaves at their zero value', () => {
    const result = checkRequestShape({ ...base(), title: null, repository: null, packages: null, _meta: null });
    expect(result).toEqual({ ok: true, value: base() });
  });

  it('keeps a "__proto__" key an ordinary (unexpected) property', () => {
    const body = JSON.parse(
      `{"$schema":"${CURRENT_SCHEMA_URL}","name":"a.b/cd","description":"d","version":"1","__proto__":{"x":1}}`,
    );
    expect(brief(errorsOf(body))).toEqual([{ message: 'unexpected property', location: 'body.__proto__' }]);
  });

  it('reports the client’s original object in value, not the normalised copy', () => {
    const pkg = { RegistryType: 'npm', Identifier: 'x', transport: { type: 'stdio' }, bogus: 1 };
    const [error] = errorsOf({ ...base(), packages: [pkg] });
    expect(error).toEqual({ message: 'unexpected property', location: 'body.packages[0].bogus', value: pkg });
  });
});

describe('humaErrorsFromAjv for parameters', () => {
  const ajv = new Ajv({ allErrors: true, coerceTypes: true, strict: false });
  const query = ajv.compile({
    type: 'object',
    required: ['cursor'],
    properties: {
      cursor: { type: 'string' },
      limit: { type: 'integer', minimum: 1, maximum: 100 },
      include_deleted: { type: 'boolean' },
      status: { type: 'string', enum: ['active', 'deprecated'] },
    },
  });

  it.each<[Record<string, unknown>, HumaError[]]>([
    [{ cursor: 'c', limit: 500 }, [{ message: 'expected number <= 100', location: 'query.limit', value: 500 }]],
    [{ cursor: 'c', limit: 0 }, [{ message: 'expected number >= 1', location: 'query.limit', value: 0 }]],
    [{ cursor: 'c', limit: 'abc' }, [{ message: 'invalid integer', location: 'query.limit', value: 'abc' }]],
    [
      { cursor: 'c', include_deleted: 'maybe' },
      [{ message: 'invalid boolean', location: 'query.include_deleted', value: 'maybe' }],
    ],
    [
      { cursor: 'c', status: 'gone' },
      [{ message: 'expected value to be one of "active, deprecated"', location: 'query.status', value: 'gone' }],
    ],
    [{}, [{ message: 'required query parameter is missing', location: 'query.cursor', value: '' }]],
  ])('%j', (data, expected) => {
    query(data);
    expect(humaErrorsFromAjv(query.errors, 'query', data)).toEqual(expected);
  });

  it('works without the data (values then come only from verbose errors)', () => {
    const header = ajv.compile({ type: 'object', required: ['authorization'], properties: {} });
    header({});
    expect(humaErrorsFromAjv(header.errors, 'header')).toEqual([
      { message: 'required header parameter is missing', location: 'header.authorization', value: '' },
    ]);
  });

  it('reports a failed anyOf once, as huma does', () => {
    const v = new Ajv({ allErrors: true }).compile({ anyOf: [{ type: 'string' }, { type: 'number' }] });
    v(true);
    expect(humaErrorsFromAjv(v.errors, 'body', true)).toEqual([
      { message: 'expected value to match at least one schema but matched none', location: 'body', value: true },
    ]);
  });
});
