import { describe, expect, it } from 'vitest';
import { pointerToPath } from '../../../src/registry/validation/json-schema.js';
import { CURRENT_SCHEMA_URL, validateJsonSchema, validateServerJson } from '../../../src/registry/validation/index.js';
import type { Package, ServerJSON, ValidationIssue } from '../../../src/registry/validation/index.js';

const base = (): ServerJSON => ({
  $schema: CURRENT_SCHEMA_URL,
  name: 'io.github.example/weather',
  description: 'Weather data',
  version: '1.0.0',
});
const pkg = (extra: Partial<Package> = {}): Package => ({
  registryType: 'npm',
  identifier: 'weather-mcp',
  transport: { type: 'stdio' },
  ...extra,
});
const SD = '[#/definitions/ServerDetail]';
const brief = (issues: ValidationIssue[]) => issues.map((i) => [i.path, i.message, i.reference]);

describe('full JSON Schema layer (/validate)', () => {
  it('finds nothing in a complete, valid document', () => {
    expect(
      validateJsonSchema({
        ...base(),
        title: 'Weather',
        repository: { url: 'https://github.com/example/weather', source: 'github', subfolder: 'src' },
        websiteUrl: 'https://example.com',
        icons: [{ src: 'https://example.com/i.png', mimeType: 'image/png', sizes: ['48x48', 'any'], theme: 'dark' }],
        packages: [
          pkg({
            version: '1.0.0',
            fileSha256: 'a'.repeat(64),
            runtimeArguments: [
              { type: 'positional', valueHint: 'dir' },
              { type: 'named', name: '--port', value: '80' },
            ],
            environmentVariables: [{ name: 'KEY', isSecret: true, variables: { x: { format: 'number' } } }],
          }),
        ],
        remotes: [{ type: 'sse', url: 'https://{t}.example.com/sse', variables: { t: {} }, headers: [{ name: 'X' }] }],
        _meta: { 'io.modelcontextprotocol.registry/publisher-provided': { anything: [1, { a: null }] } },
      }),
    ).toEqual([]);
  });

  it('uses upstream’s resolved reference format', () => {
    const issues = validateJsonSchema({
      ...base(),
      repository: { url: 'github.com/example/weather', source: 'github' },
    });
    expect(issues).toEqual([
      {
        type: 'schema',
        path: 'repository.url',
        message: "'github.com/example/weather' has invalid format 'uri'",
        severity: 'error',
        reference: `#/definitions/Repository/properties/url/format from: ${SD}/properties/repository/[#/definitions/Repository]/properties/url/format`,
      },
    ]);
  });

  it.each<[string, Partial<ServerJSON>, [string, string, string][]]>([
    [
      'repository {} (kept by Go because it is a pointer)',
      { repository: {} },
      [
        [
          'repository',
          "missing required fields: 'url', 'source'",
          `#/definitions/Repository/required from: ${SD}/properties/repository/[#/definitions/Repository]/required`,
        ],
      ],
    ],
    [
      'version longer than 255',
      { version: '1'.repeat(256) },
      [
        [
          'version',
          'length must be <= 255, but got 256',
          `#/definitions/ServerDetail/properties/version/maxLength from: ${SD}/properties/version/maxLength`,
        ],
      ],
    ],
    [
      'relative websiteUrl',
      { websiteUrl: 'example.com' },
      [
        [
          'websiteUrl',
          "'example.com' has invalid format 'uri'",
          `#/definitions/ServerDetail/properties/websiteUrl/format from: ${SD}/properties/websiteUrl/format`,
        ],
      ],
    ],
    [
      'package version latest',
      { packages: [pkg({ version: 'latest' })] },
      [
        [
          'packages[0].version',
          'not failed',
          `#/definitions/Package/properties/version/not from: ${SD}/properties/packages/items/[#/definitions/Package]/properties/version/not`,
        ],
      ],
    ],
    [
      'transport url without http(s)',
      { packages: [pkg({ transport: { type: 'sse', url: 'ws://x' } })] },
      [
        [
          'packages[0].transport.type',
          'value must be "stdio"',
          `#/definitions/StdioTransport/properties/type/enum from: ${SD}/properties/packages/items/[#/definitions/Package]/properties/transport/[#/definitions/LocalTransport]/anyOf/0/[#/definitions/StdioTransport]/properties/type/enum`,
        ],
        [
          'packages[0].transport.type',
          'value must be "streamable-http"',
          `#/definitions/StreamableHttpTransport/properties/type/enum from: ${SD}/properties/packages/items/[#/definitions/Package]/properties/transport/[#/definitions/LocalTransport]/anyOf/1/[#/definitions/StreamableHttpTransport]/properties/type/enum`,
        ],
        [
          'packages[0].transport.url',
          "does not match pattern '^https?://[^\\\\s]+$'",
          `#/definitions/StreamableHttpTransport/properties/url/pattern from: ${SD}/properties/packages/items/[#/definitions/Package]/properties/transport/[#/definitions/LocalTransport]/anyOf/1/[#/definitions/StreamableHttpTransport]/properties/url/pattern`,
        ],
        [
          'packages[0].transport.url',
          "does not match pattern '^https?://[^\\\\s]+$'",
          `#/definitions/SseTransport/properties/url/pattern from: ${SD}/properties/packages/items/[#/definitions/Package]/properties/transport/[#/definitions/LocalTransport]/anyOf/2/[#/definitions/SseTransport]/properties/url/pattern`,
        ],
      ],
    ],
    [
      'positional argument without value or valueHint',
      { packages: [pkg({ packageArguments: [{ type: 'positional' }] })] },
      [
        [
          'packages[0].packageArguments[0]',
          "missing required fields: 'valueHint'",
          expect.stringContaining('#/definitions/PositionalArgument/allOf/1/anyOf/0/required from: '),
        ],
        [
          'packages[0].packageArguments[0]',
          "missing required fields: 'value'",
          expect.stringContaining('#/definitions/PositionalArgument/allOf/1/anyOf/1/required from: '),
        ],
        [
          'packages[0].packageArguments[0]',
          "missing required fields: 'name'",
          expect.stringContaining('#/definitions/NamedArgument/allOf/1/required from: '),
        ],
        [
          'packages[0].packageArguments[0].type',
          'value must be "named"',
          expect.stringContaining(
            '/[#/definitions/Argument]/anyOf/1/[#/definitions/NamedArgument]/allOf/1/properties/type/enum',
          ),
        ],
      ],
    ],
    [
      'argument type that is neither positional nor named',
      { packages: [pkg({ runtimeArguments: [{ type: 'flag', name: '-v', value: '1' }] })] },
      [
        [
          'packages[0].runtimeArguments[0].type',
          'value must be "positional"',
          expect.stringContaining('[#/definitions/PositionalArgument]/allOf/1/properties/type/enum'),
        ],
        [
          'packages[0].runtimeArguments[0].type',
          'value must be "named"',
          expect.stringContaining('[#/definitions/NamedArgument]/allOf/1/properties/type/enum'),
        ],
      ],
    ],
    [
      'remote with an unsupported type and a variable map key that looks like an index',
      // The cast stands in for a value the request-shape check would already have refused.
      { remotes: [{ type: 'ws', url: 'https://x.io', variables: { '0': { format: 'text' as 'string' } } }] },
      [
        [
          'remotes[0].type',
          'value must be "streamable-http"',
          expect.stringContaining(
            '[#/definitions/RemoteTransport]/allOf/0/anyOf/0/[#/definitions/StreamableHttpTransport]/properties/type/enum',
          ),
        ],
        [
          'remotes[0].type',
          'value must be "sse"',
          expect.stringContaining(
            '[#/definitions/RemoteTransport]/allOf/0/anyOf/1/[#/definitions/SseTransport]/properties/type/enum',
          ),
        ],
        [
          'remotes[0].variables[0].format',
          'value must be one of "string", "number", "boolean", "filepath"',
          `#/definitions/Input/properties/format/enum from: ${SD}/properties/remotes/items/[#/definitions/RemoteTransport]/allOf/1/properties/variables/additionalProperties/[#/definitions/Input]/properties/format/enum`,
        ],
      ],
    ],
  ])('%s', (_name, patch, expected) => {
    expect(brief(validateJsonSchema({ ...base(), ...patch }))).toEqual(expected);
  });

  it('validates the stored form, which keeps explicit empty values (Wharf does not apply omitempty)', () => {
    const issues = validateJsonSchema({ ...base(), title: '', packages: [] });
    expect(issues.map((i) => i.path)).toEqual(['title']);
  });

  it('converts instance pointers like upstream', () => {
    expect(pointerToPath('/packages/0/transport')).toBe('packages[0].transport');
    expect(pointerToPath('/0/name')).toBe('[0].name');
    expect(pointerToPath('/packages/0/transport/1/url')).toBe('packages[0].transport[1].url');
    expect(pointerToPath('/a/0/1')).toBe('a[0][1]');
  });

  it("is part of level 'all' only, between the version check and the semantic rules", () => {
    const server: ServerJSON = { ...base(), version: 'latest', repository: { url: 'https://github.com/a/b' } };
    const publish = validateServerJson(server, 'publish');
    const all = validateServerJson(server, 'all');
    expect(publish.issues.map((i) => i.type)).toEqual(['semantic', 'semantic']);
    expect(all.issues.map((i) => [i.type, i.path])).toEqual([
      ['schema', 'repository'],
      ['semantic', 'version'],
      ['semantic', 'repository.url'],
    ]);
    expect(all.valid).toBe(false);
  });

  it('skips the full schema when the declared version is not available', () => {
    const server = {
      ...base(),
      $schema: 'https://static.modelcontextprotocol.io/schemas/draft/server.schema.json',
      repository: {},
    };
    expect(validateServerJson(server, 'all').issues.map((i) => i.reference)).toEqual([
      'schema-version-deprecated',
      'schema-version-not-available',
    ]);
  });
});
