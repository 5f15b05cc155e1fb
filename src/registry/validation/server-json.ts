import { Type } from '@sinclair/typebox';
import type { Static, TSchema, TUnsafe } from '@sinclair/typebox';

/**
 * The request shape of `server.json` exactly as the official API enforces it before any handler runs: the JSON
 * Schema huma generates from the Go structs in `pkg/api/v0/types.go` and `pkg/model/types.go` (schema version
 * 2025-12-11, registry v1.7.0). Huma's rules, mirrored here:
 * - every struct is closed (`additionalProperties: false`); maps (`variables`, publisher-provided `_meta`) are open;
 * - a field is required unless its json tag says `omitempty` (or a `required` tag overrides it);
 * - validation tags (`minLength`, `pattern`, `enum`, `format`) become keywords; untagged fields are bare strings,
 *   which is why e.g. `transport.type`, `Argument.type` and the top-level `version` accept any string here and are
 *   left to the semantic rules and the full JSON Schema.
 */

function StringEnum<const T extends readonly string[]>(values: T): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
}

const closed = { additionalProperties: false } as const;
const MapOf = <T extends TSchema>(value: T) => Type.Record(Type.String(), value);

export const INPUT_FORMATS = ['string', 'number', 'boolean', 'filepath'] as const;
export const ICON_MIME_TYPES = ['image/png', 'image/jpeg', 'image/jpg', 'image/svg+xml', 'image/webp'] as const;
export const ICON_THEMES = ['light', 'dark'] as const;
export const PUBLISHER_PROVIDED_KEY = 'io.modelcontextprotocol.registry/publisher-provided';

// model.Input (embedded into KeyValueInput and Argument, so its fields come first when Go marshals them).
const inputFields = {
  description: Type.Optional(Type.String()),
  isRequired: Type.Optional(Type.Boolean()),
  format: Type.Optional(StringEnum(INPUT_FORMATS)),
  value: Type.Optional(Type.String()),
  isSecret: Type.Optional(Type.Boolean()),
  default: Type.Optional(Type.String()),
  placeholder: Type.Optional(Type.String()),
  choices: Type.Optional(Type.Array(Type.String())),
};

export const InputSchema = Type.Object(inputFields, closed);

const inputWithVariablesFields = { ...inputFields, variables: Type.Optional(MapOf(InputSchema)) };

export const KeyValueInputSchema = Type.Object({ ...inputWithVariablesFields, name: Type.String() }, closed);

export const ArgumentSchema = Type.Object(
  {
    ...inputWithVariablesFields,
    type: Type.String(),
    name: Type.Optional(Type.String()),
    valueHint: Type.Optional(Type.String()),
    isRepeated: Type.Optional(Type.Boolean()),
  },
  closed,
);

export const TransportSchema = Type.Object(
  {
    type: Type.String(),
    url: Type.Optional(Type.String()),
    headers: Type.Optional(Type.Array(KeyValueInputSchema)),
    variables: Type.Optional(MapOf(InputSchema)),
  },
  closed,
);

export const PackageSchema = Type.Object(
  {
    registryType: Type.String({ minLength: 1 }),
    registryBaseUrl: Type.Optional(Type.String({ format: 'uri' })),
    identifier: Type.String({ minLength: 1 }),
    version: Type.Optional(Type.String({ minLength: 1 })),
    fileSha256: Type.Optional(Type.String({ pattern: '^[a-f0-9]{64}$' })),
    runtimeHint: Type.Optional(Type.String()),
    transport: TransportSchema,
    runtimeArguments: Type.Optional(Type.Array(ArgumentSchema)),
    packageArguments: Type.Optional(Type.Array(ArgumentSchema)),
    environmentVariables: Type.Optional(Type.Array(KeyValueInputSchema)),
  },
  closed,
);

export const RepositorySchema = Type.Object(
  {
    url: Type.Optional(Type.String({ format: 'uri' })),
    source: Type.Optional(Type.String()),
    id: Type.Optional(Type.String()),
    subfolder: Type.Optional(Type.String()),
  },
  closed,
);

export const IconSchema = Type.Object(
  {
    src: Type.String({ format: 'uri', maxLength: 255 }),
    mimeType: Type.Optional(StringEnum(ICON_MIME_TYPES)),
    sizes: Type.Optional(Type.Array(Type.String({ pattern: '^(\\d+x\\d+|any)$' }))),
    theme: Type.Optional(StringEnum(ICON_THEMES)),
  },
  closed,
);

/**
 * Wharf departs from the official API here: besides publisher-provided metadata, `_meta` accepts other
 * extension keys (objects under reverse-DNS names, as subregistries write them, e.g. `com.example.subregistry/custom`)
 * and keeps them, where the official API answers 422. Registry-owned keys are refused by the semantic rules.
 */
export const META_EXTENSION_KEY_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9.-]*/[a-zA-Z0-9._-]+$';
export const ServerMetaSchema = Type.Unsafe<{ [key: string]: Record<string, unknown> | undefined }>({
  type: 'object',
  properties: { [PUBLISHER_PROVIDED_KEY]: { type: 'object' } },
  patternProperties: { [META_EXTENSION_KEY_PATTERN]: { type: 'object' } },
  additionalProperties: false,
});

export const SERVER_NAME_PATTERN = '^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$';

/** Field order is the Go struct order, which is also the order of keys in the registry's JSON output. */
export const ServerJSONSchema = Type.Object(
  {
    $schema: Type.String({ minLength: 1, format: 'uri' }),
    name: Type.String({ minLength: 3, maxLength: 200, pattern: SERVER_NAME_PATTERN }),
    description: Type.String({ minLength: 1, maxLength: 100 }),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    repository: Type.Optional(RepositorySchema),
    version: Type.String(),
    websiteUrl: Type.Optional(Type.String({ format: 'uri' })),
    icons: Type.Optional(Type.Array(IconSchema)),
    packages: Type.Optional(Type.Array(PackageSchema)),
    remotes: Type.Optional(Type.Array(TransportSchema)),
    _meta: Type.Optional(ServerMetaSchema),
  },
  closed,
);

export type Input = Static<typeof InputSchema>;
export type KeyValueInput = Static<typeof KeyValueInputSchema>;
export type Argument = Static<typeof ArgumentSchema>;
export type Transport = Static<typeof TransportSchema>;
export type Package = Static<typeof PackageSchema>;
export type Repository = Static<typeof RepositorySchema>;
export type Icon = Static<typeof IconSchema>;
export type ServerMeta = Static<typeof ServerMetaSchema>;
export type ServerJSON = Static<typeof ServerJSONSchema>;
