import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const sdkDir = path.join(root, 'src/sdk');

/** Runtime import specifiers of a module: `import type` / `export type` are erased by the compiler and skipped. */
function runtimeImports(source: string): string[] {
  const specifiers: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(re)) if (!m[2] && m[4]) specifiers.push(m[4]);
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) if (m[1]) specifiers.push(m[1]);
  return specifiers;
}

describe('the SDK boundary', () => {
  it('imports nothing at runtime but its own modules and Node built-ins', () => {
    const offenders: string[] = [];
    for (const file of fs.readdirSync(sdkDir, { recursive: true }) as string[]) {
      if (!file.endsWith('.ts')) continue;
      const source = fs.readFileSync(path.join(sdkDir, file), 'utf8');
      for (const spec of runtimeImports(source)) {
        const inside = spec.startsWith('./') || (spec.startsWith('../') && file.includes(path.sep));
        const resolved = inside ? path.resolve(path.dirname(path.join(sdkDir, file)), spec) : '';
        if (spec.startsWith('node:') || (inside && resolved.startsWith(sdkDir + path.sep))) continue;
        offenders.push(`${file}: ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the checker itself sees value imports and ignores type-only ones', () => {
    const sample = [
      "import type { A } from '../registry/model.js';",
      "import { B } from 'fastify';",
      "export { C } from './c.js';",
      "export type { D } from 'kysely';",
    ].join('\n');
    expect(runtimeImports(sample)).toEqual(['fastify', './c.js']);
  });

  it('is exported as the wharf/sdk subpath, and the built module loads on its own', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.exports['./sdk']).toEqual({ types: './dist/sdk/index.d.ts', default: './dist/sdk/index.js' });
    expect(pkg.bin).toEqual({ wharf: 'dist/cli/main.js' });
    if (!fs.existsSync(path.join(root, 'dist/sdk/index.js'))) {
      console.warn('dist/sdk is not built (run npm run build): skipping the package self-import check');
      return;
    }
    // Self-reference by package name, as a consumer would write it; report which modules the import pulled in.
    const script = `
      const { WharfClient, WharfApiError } = await import('wharf/sdk');
      const c = new WharfClient({ baseUrl: 'http://127.0.0.1:1' });
      console.log(JSON.stringify({ client: typeof WharfClient, error: typeof WharfApiError, base: c.baseUrl }));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ client: 'function', error: 'function', base: 'http://127.0.0.1:1' });
  });
});
