import { brotliCompressSync, gzipSync } from 'node:zlib';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(root, '../dist/public');

/** Writes .br and .gz beside every asset so the server sends compressed files without compressing per request. */
function precompress(): Plugin {
  return {
    name: 'wharf-precompress',
    apply: 'build',
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((f) => {
          const full = path.join(dir, f);
          return statSync(full).isDirectory() ? walk(full) : [full];
        });
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|svg|json)$/.test(file)) continue;
        const body = readFileSync(file);
        writeFileSync(`${file}.br`, brotliCompressSync(body));
        writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root,
  base: '/',
  build: { outDir, emptyOutDir: true, target: 'es2022', sourcemap: false },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [precompress()],
  server: {
    proxy: { '/v0': 'http://127.0.0.1:8080', '/v0.1': 'http://127.0.0.1:8080', '/api': 'http://127.0.0.1:8080' },
  },
});
