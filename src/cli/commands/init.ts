import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline/promises';
import { promisify } from 'node:util';
import { Option } from 'commander';
import type { Command } from 'commander';
import { out, paint, printJson } from '../output.js';
import { CliError, EXIT, cliCommand, run, withJson } from '../remote.js';

interface InitFlags {
  name?: string;
  description?: string;
  version?: string;
  repository?: string;
  packageType?: 'npm' | 'pypi' | 'oci' | 'none';
  package?: string;
  remote?: string;
  file: string;
  force?: boolean;
  yes?: boolean;
  json?: boolean;
}

export function initCommand(): Command {
  return withJson(
    cliCommand('init')
      .summary('Write a server.json from package.json, the git remote and answers')
      .description(
        'Write a server.json for the project in the current directory, from package.json, pyproject.toml, Dockerfile and the git remote; asks for the main fields on a terminal',
      )
      .option('--name <name>', 'server name, e.g. io.github.acme/weather (default: package.json mcpName, else derived)')
      .option('--description <text>', 'description, at most 100 characters (default: package.json description)')
      .option('--version <version>', 'server version (default: package.json version, else 1.0.0)')
      .option('--repository <url>', 'source repository URL (default: git remote origin, else package.json)')
      .addOption(
        new Option('--package-type <type>', 'package to describe (default: detected)').choices([
          'npm',
          'pypi',
          'oci',
          'none',
        ]),
      )
      .option('--package <identifier>', 'package identifier (default: the package name)')
      .option('--remote <url>', 'add a streamable-http remote at this URL')
      .option('--file <path>', 'where to write', 'server.json')
      .option('--force', 'overwrite an existing file')
      .option('-y, --yes', 'accept the detected values without asking (the default when not on a terminal)'),
  ).action(
    run(async (flags: InitFlags) => {
      const file = path.resolve(flags.file);
      if (fs.existsSync(file) && !flags.force) {
        throw new CliError(`${flags.file} already exists (use --force to overwrite)`, EXIT.failure);
      }
      const { CURRENT_SCHEMA_URL } = await import('../../registry/validation/index.js');
      const detected = await detectProject(process.cwd());
      const answers = {
        name: flags.name ?? detected.name,
        description: flags.description ?? detected.description,
        version: flags.version ?? detected.version,
      };
      if (!flags.yes && process.stdin.isTTY && process.stdout.isTTY) {
        const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
        try {
          const ask = async (label: string, current: string) =>
            (await rl.question(`${label} (${current}): `)).trim() || current;
          if (!flags.name) answers.name = await ask('Server name', answers.name);
          if (!flags.description) answers.description = await ask('Description', answers.description);
          if (!flags.version) answers.version = await ask('Version', answers.version);
        } finally {
          rl.close();
        }
      }

      const server: Record<string, unknown> = {
        $schema: CURRENT_SCHEMA_URL,
        name: answers.name,
        description: [...answers.description].slice(0, 100).join(''),
        version: answers.version,
      };
      const repository = flags.repository ?? detected.repository;
      if (repository) {
        const source = /github\.com/i.test(repository) ? 'github' : /gitlab\.com/i.test(repository) ? 'gitlab' : 'git';
        server.repository = {
          url: repository,
          source,
          ...(detected.subfolder ? { subfolder: detected.subfolder } : {}),
        };
      }
      const packageType = flags.packageType ?? (flags.remote && !detected.packageType ? 'none' : detected.packageType);
      if (packageType && packageType !== 'none') {
        const identifier = flags.package ?? detected.packageName ?? answers.name.split('/').pop() ?? 'your-package';
        const pkg: Record<string, unknown> =
          packageType === 'oci'
            ? { registryType: 'oci', identifier: ociReference(identifier, answers.version) }
            : { registryType: packageType, identifier, version: answers.version };
        pkg.transport = { type: 'stdio' };
        server.packages = [pkg];
      }
      if (flags.remote) server.remotes = [{ type: 'streamable-http', url: flags.remote }];

      const { checkServer, printReport } = await import('../server-file.js');
      const { report } = checkServer(server, 'all');
      fs.writeFileSync(file, `${JSON.stringify(server, null, 2)}\n`);
      if (flags.json) {
        printJson(server);
        return EXIT.ok;
      }
      const p = paint();
      out(p.green(`Created ${flags.file}`));
      if (!report.valid || report.issues.length > 0) {
        out();
        out('Fix these before publishing:');
        printReport(flags.file, report);
      }
      out();
      out('Next:');
      out(`  wharf validate ${flags.file}`);
      out('  wharf login <method>        # github, github-oidc, dns, http, oidc, key or none');
      out(`  wharf publish ${flags.file}`);
      return EXIT.ok;
    }),
  );
}

function ociReference(identifier: string, version: string): string {
  if (/[:@]/.test(identifier.split('/').pop() ?? '')) return identifier;
  return `${identifier.includes('/') ? identifier : `docker.io/library/${identifier}`}:${version}`;
}

interface Detected {
  name: string;
  description: string;
  version: string;
  repository?: string;
  subfolder?: string;
  packageType?: 'npm' | 'pypi' | 'oci';
  packageName?: string;
}

const exec = promisify(execFile);

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await exec('git', args, { cwd, timeout: 5_000 });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A name part the registry accepts: letters, digits, `.`, `_`, `-`, starting and ending alphanumeric. */
const namePart = (s: string) =>
  s.replace(/[^a-zA-Z0-9._-]+/g, '-').replace(/^[^a-zA-Z0-9]+|[^a-zA-Z0-9]+$/g, '') || 'server';

/** What can be learnt about the project in `cwd`, in the official CLI's order of preference. */
async function detectProject(cwd: string): Promise<Detected> {
  const pkg = readJson(path.join(cwd, 'package.json'));
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

  let repository = await git(cwd, ['remote', 'get-url', 'origin']);
  if (!repository && pkg) {
    const repo = pkg.repository;
    repository = str(typeof repo === 'object' && repo ? (repo as { url?: unknown }).url : repo);
  }
  if (repository) {
    repository = repository
      .replace(/^git\+/, '')
      .replace(/^git@github\.com:/, 'https://github.com/')
      .replace(/^git@gitlab\.com:/, 'https://gitlab.com/')
      .replace(/\.git$/, '');
  }
  const top = await git(cwd, ['rev-parse', '--show-toplevel']);
  const relative = top ? path.relative(fs.realpathSync(top), fs.realpathSync(cwd)) : '';
  const subfolder = relative && !relative.startsWith('..') ? relative.split(path.sep).join('/') : undefined;

  let packageType: Detected['packageType'];
  let packageName: string | undefined;
  if (pkg) {
    packageType = 'npm';
    packageName = str(pkg.name);
  } else if (fs.existsSync(path.join(cwd, 'pyproject.toml')) || fs.existsSync(path.join(cwd, 'setup.py'))) {
    packageType = 'pypi';
    const toml = fs.existsSync(path.join(cwd, 'pyproject.toml'))
      ? fs.readFileSync(path.join(cwd, 'pyproject.toml'), 'utf8')
      : '';
    packageName = /^\s*name\s*=\s*["']([^"']+)["']/m.exec(toml)?.[1];
  } else if (fs.existsSync(path.join(cwd, 'Dockerfile'))) {
    packageType = 'oci';
  }

  const github = repository ? /github\.com\/([^/]+)\/([^/]+)/i.exec(repository) : null;
  let name = str(pkg?.mcpName);
  if (!name && github?.[1] && github[2]) {
    name = `io.github.${github[1]}/${namePart(subfolder ? path.basename(subfolder) : github[2])}`;
  }
  if (!name && packageName?.startsWith('@')) {
    const [scope, bare] = packageName.slice(1).split('/');
    if (scope && bare) name = `io.github.${namePart(scope)}/${namePart(bare)}`;
  }
  if (!name) name = `com.example/${namePart(packageName ?? path.basename(cwd))}`;
  if (packageType === 'oci' && !packageName) {
    packageName = github?.[1]
      ? `docker.io/${github[1].toLowerCase()}/${namePart(name.split('/')[1] ?? 'server').toLowerCase()}`
      : undefined;
  }

  const detected: Detected = {
    name,
    description: str(pkg?.description) ?? 'An MCP server that provides [describe what your server does]',
    version: str(pkg?.version) ?? '1.0.0',
  };
  if (repository) detected.repository = repository;
  if (subfolder) detected.subfolder = subfolder;
  if (packageType) detected.packageType = packageType;
  if (packageName) detected.packageName = packageName;
  return detected;
}
