import { expect } from 'vitest';
import { CURRENT_SCHEMA_URL, validateServerJson } from '../../../src/registry/validation/index.js';
import type { Package, ServerJSON } from '../../../src/registry/validation/index.js';

/** A minimal valid server.json; tests spread their changes over it. */
export const base = (): ServerJSON => ({
  $schema: CURRENT_SCHEMA_URL,
  name: 'io.github.example/weather',
  description: 'Weather data',
  version: '1.0.0',
});

export const pkg = (extra: Partial<Package> = {}): Package => ({
  registryType: 'npm',
  identifier: 'weather-mcp',
  version: '1.0.0',
  transport: { type: 'stdio' },
  ...extra,
});

export type Expected = [path: string, reference: string, message: string];

/** Semantic issues as [path, reference, message]; also checks `valid` and that nothing else was reported. */
export function issuesOf(server: ServerJSON): Expected[] {
  const result = validateServerJson(server, 'publish');
  expect(result.valid).toBe(result.issues.length === 0);
  for (const issue of result.issues) expect([issue.type, issue.severity]).toEqual(['semantic', 'error']);
  return result.issues.map((i) => [i.path, i.reference, i.message]);
}
