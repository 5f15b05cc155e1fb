import {
  ICON_MIME_TYPES,
  ICON_THEMES,
  INPUT_FORMATS,
  PUBLISHER_PROVIDED_KEY,
  SERVER_NAME_PATTERN,
} from './server-json.js';

/**
 * Our own encoding of the published `server.json` JSON Schema, version 2025-12-11 (draft-07), as `/validate` runs
 * it. It keeps the published document's structure — the same definition names, `$ref`/`allOf`/`anyOf` nesting and
 * property order — because issue `reference` strings are keyword paths through that structure. Descriptions and
 * examples are left out; only assertions matter here.
 *
 * The official registry validates against the schema version the document declares. We validate every supported
 * version against this one, which is honest for documents that passed the request-shape check (they use the
 * 2025-12-11 field names or fail with "unexpected property" first). Where the older published schemas differ:
 * - 2025-07-09 uses snake_case fields and a separate `Server` definition with `status`; `Package` is closed and
 *   requires `version`; no `title`, `icons` or `placeholder`; SSE `url` is `format: uri`.
 * - 2025-09-16 and 2025-09-29 are camelCase but otherwise like 2025-07-09 (09-16 still has `status`).
 * - 2025-10-11 and 2025-10-17 match 2025-12-11 except that transport URLs have no `^https?://` pattern (SSE uses
 *   `format: uri`), remotes have no `variables` definition, and `LocalTransport`/`RemoteTransport` do not exist.
 * So a document declaring an older version may get fewer (or, for 2025-07-09, different) schema issues upstream.
 */

export interface SchemaDef {
  $ref?: string;
  type?: string;
  properties?: Record<string, SchemaDef>;
  required?: string[];
  additionalProperties?: SchemaDef | boolean;
  items?: SchemaDef;
  enum?: readonly string[];
  const?: string;
  not?: SchemaDef;
  allOf?: SchemaDef[];
  anyOf?: SchemaDef[];
  minLength?: number;
  maxLength?: number;
  /** Shown in messages exactly as published. */
  pattern?: string;
  /** The same pattern with RE2 semantics (`\s` is ASCII-only there). */
  regex?: RegExp;
  format?: 'uri';
  definitions?: Record<string, SchemaDef>;
}

const ref = (name: string): SchemaDef => ({ $ref: `#/definitions/${name}` });
const string: SchemaDef = { type: 'string' };
const boolean: SchemaDef = { type: 'boolean' };
const arrayOf = (items: SchemaDef): SchemaDef => ({ type: 'array', items });
const enumOf = (values: readonly string[]): SchemaDef => ({ type: 'string', enum: values });
const transportUrl: SchemaDef = { type: 'string', pattern: '^https?://[^\\s]+$', regex: /^https?:\/\/[^\t\n\f\r ]+$/ };
const variables: SchemaDef = { type: 'object', additionalProperties: ref('Input') };

const httpTransport = (type: string): SchemaDef => ({
  type: 'object',
  required: ['type', 'url'],
  properties: { headers: arrayOf(ref('KeyValueInput')), type: enumOf([type]), url: transportUrl },
});

export const SERVER_SCHEMA_2025_12_11: SchemaDef = {
  $ref: '#/definitions/ServerDetail',
  definitions: {
    Argument: { anyOf: [ref('PositionalArgument'), ref('NamedArgument')] },
    Icon: {
      type: 'object',
      required: ['src'],
      properties: {
        mimeType: enumOf(ICON_MIME_TYPES),
        sizes: arrayOf({ type: 'string', pattern: '^(\\d+x\\d+|any)$', regex: /^(\d+x\d+|any)$/ }),
        src: { type: 'string', format: 'uri', maxLength: 255 },
        theme: enumOf(ICON_THEMES),
      },
    },
    Input: {
      type: 'object',
      properties: {
        choices: arrayOf(string),
        default: string,
        description: string,
        format: enumOf(INPUT_FORMATS),
        isRequired: boolean,
        isSecret: boolean,
        placeholder: string,
        value: string,
      },
    },
    InputWithVariables: { allOf: [ref('Input'), { type: 'object', properties: { variables } }] },
    KeyValueInput: {
      allOf: [ref('InputWithVariables'), { type: 'object', required: ['name'], properties: { name: string } }],
    },
    LocalTransport: { anyOf: [ref('StdioTransport'), ref('StreamableHttpTransport'), ref('SseTransport')] },
    NamedArgument: {
      allOf: [
        ref('InputWithVariables'),
        {
          type: 'object',
          required: ['type', 'name'],
          properties: { isRepeated: boolean, name: string, type: enumOf(['named']) },
        },
      ],
    },
    Package: {
      type: 'object',
      required: ['registryType', 'identifier', 'transport'],
      properties: {
        environmentVariables: arrayOf(ref('KeyValueInput')),
        fileSha256: { type: 'string', pattern: '^[a-f0-9]{64}$', regex: /^[a-f0-9]{64}$/ },
        identifier: string,
        packageArguments: arrayOf(ref('Argument')),
        registryBaseUrl: { type: 'string', format: 'uri' },
        registryType: string,
        runtimeArguments: arrayOf(ref('Argument')),
        runtimeHint: string,
        transport: ref('LocalTransport'),
        version: { type: 'string', minLength: 1, not: { const: 'latest' } },
      },
    },
    PositionalArgument: {
      allOf: [
        ref('InputWithVariables'),
        {
          type: 'object',
          required: ['type'],
          anyOf: [{ required: ['valueHint'] }, { required: ['value'] }],
          properties: { isRepeated: boolean, type: enumOf(['positional']), valueHint: string },
        },
      ],
    },
    RemoteTransport: {
      allOf: [
        { anyOf: [ref('StreamableHttpTransport'), ref('SseTransport')] },
        { type: 'object', properties: { variables } },
      ],
    },
    Repository: {
      type: 'object',
      required: ['url', 'source'],
      properties: { id: string, source: string, subfolder: string, url: { type: 'string', format: 'uri' } },
    },
    ServerDetail: {
      type: 'object',
      required: ['name', 'description', 'version'],
      properties: {
        $schema: { type: 'string', format: 'uri' },
        _meta: { type: 'object', properties: { [PUBLISHER_PROVIDED_KEY]: { type: 'object' } } },
        description: { type: 'string', minLength: 1, maxLength: 100 },
        icons: arrayOf(ref('Icon')),
        name: {
          type: 'string',
          minLength: 3,
          maxLength: 200,
          pattern: SERVER_NAME_PATTERN,
          regex: new RegExp(SERVER_NAME_PATTERN),
        },
        packages: arrayOf(ref('Package')),
        remotes: arrayOf(ref('RemoteTransport')),
        repository: ref('Repository'),
        title: { type: 'string', minLength: 1, maxLength: 100 },
        version: { type: 'string', maxLength: 255 },
        websiteUrl: { type: 'string', format: 'uri' },
      },
    },
    SseTransport: httpTransport('sse'),
    StdioTransport: { type: 'object', required: ['type'], properties: { type: enumOf(['stdio']) } },
    StreamableHttpTransport: httpTransport('streamable-http'),
  },
};
