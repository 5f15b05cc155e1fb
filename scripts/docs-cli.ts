// Regenerates docs/cli.md from the commander program: `npm run docs:cli`.
import fs from 'node:fs';
import path from 'node:path';
import { renderCliDocs } from '../src/cli/help-docs.js';
import { program } from '../src/cli/main.js';

const target = path.resolve(import.meta.dirname, '../docs/cli.md');
fs.writeFileSync(target, renderCliDocs(program));
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
