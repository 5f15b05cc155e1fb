import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { z } from 'zod';

/**
 * A zod schema whose JSON Schema is computed once. The SDK builds a fresh McpServer per request and asks every
 * tool's schema for its JSON Schema on each `tools/list` (and, for modern `tools/call`, to scan `x-mcp-header`
 * annotations); converting a zod schema costs far more than the rest of such a request.
 */
export function withCachedJsonSchema(schema: z.ZodType): StandardSchemaWithJSON {
  const input = deepFreeze(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }));
  const output = deepFreeze(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' }));
  const standard = schema['~standard'];
  return {
    '~standard': {
      version: 1,
      vendor: 'wharf',
      validate: (value: unknown) => standard.validate(value),
      // Shared and frozen: the SDK only reads them (a write would throw, since modules run in strict mode).
      jsonSchema: { input: () => input, output: () => output },
    },
  } as StandardSchemaWithJSON;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
