import { spawn } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { publishTemplates, uniqueDocument } from './lib/publish-requests.js';
const dir = '/tmp/fx/pubdata';
rmSync(dir, { recursive: true, force: true });
cpSync('bench/.cache/registry-g1-seed-30e3dc3c-n25000/data', dir, { recursive: true });
const cli = process.env.CLI ?? 'dist/cli/main.js';
const args = process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/fx/prof'] : [];
const child = spawn(process.execPath, [...args, cli, 'serve', '--port', '47311', '--data-dir', dir], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, WHARF_HOST: '127.0.0.1', WHARF_ADMIN_TOKEN: 'tok-prof-123456789012345678901234', WHARF_PACKAGE_VALIDATION: 'false', WHARF_LOG_LEVEL: 'warn' },
});
const base = 'http://127.0.0.1:47311';
for (let i = 0; i < 600; i++) { try { if ((await fetch(base + '/ready')).ok) break; } catch {} await new Promise((r) => setTimeout(r, 500)); }
const templates = publishTemplates(300);
const times: number[] = [];
const n = Number(process.env.N ?? 300);
for (let i = 0; i < n; i++) {
  const doc = uniqueDocument(templates[i % 300]!, `p${Date.now().toString(36)}x${i}`);
  const t0 = performance.now();
  const r = await fetch(base + '/v0/publish', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer tok-prof-123456789012345678901234' }, body: JSON.stringify(doc) });
  await r.text();
  if (r.status !== 200) console.log('status', r.status);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log('publish p50', times[Math.floor(n / 2)]!.toFixed(2), 'ms p90', times[Math.floor(n * 0.9)]!.toFixed(2));
const cpu = (await import('node:fs')).readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(' ');
console.log('server utime+stime ticks', Number(cpu[13]) + Number(cpu[14]));
child.kill('SIGINT');
await new Promise((r) => child.once('exit', r));
