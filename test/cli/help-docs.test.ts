import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpFromDocs, renderCliDocs, walkCommands } from '../../src/cli/help-docs.js';
import { program } from '../../src/cli/main.js';
import { runWharf } from '../support/process.js';

const docsFile = path.resolve(import.meta.dirname, '../../docs/cli.md');

/** Runs at most `limit` tasks at once: each CLI process costs a second or two of CPU on its own. */
async function pool<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

describe('docs/cli.md', () => {
  it('is what `npm run docs:cli` generates from the program (run it after changing a command)', () => {
    expect(fs.readFileSync(docsFile, 'utf8')).toBe(renderCliDocs(program));
  });

  it('matches what `wharf --help` and every `wharf <command> --help` print', { timeout: 180_000 }, async () => {
    const docs = fs.readFileSync(docsFile, 'utf8');
    const paths = walkCommands(program)
      .filter(({ command }) => command.name() !== 'help')
      .map(({ path: p }) => p);
    expect(paths.length).toBeGreaterThan(8);
    const results = await pool(paths, 4, async (p) => ({ path: p, result: await runWharf([...p, '--help']) }));
    for (const { path: p, result } of results) {
      expect(result.code, `wharf ${p.join(' ')} --help: ${result.stderr}`).toBe(0);
      expect(result.stdout.trimEnd(), `wharf ${p.join(' ')} --help`).toBe(helpFromDocs(docs, p));
    }
  });
});
