import fs from 'node:fs';
import { Command, Option } from 'commander';
import { PROOF_ALGORITHMS, proofRecord, rfc3339Now, signTimestamp, signerFromKeyText } from '../../auth/login/proof.js';
import type { ProofAlgorithm } from '../../auth/login/proof.js';
import { DEFAULT_REGISTRY, saveToken } from '../token-file.js';

interface RegistryFlag {
  registry: string;
}

/**
 * `wharf login <method>`: exchanges a credential at `POST <registry>/v0/auth/<method>` (the official CLI's
 * endpoints and bodies) and stores the registry token for later commands.
 */
export function loginCommand(): Command {
  const login = new Command('login').description(
    'Log in to a registry and store its token (see docs/auth.md); the token file is WHARF_TOKEN_FILE or ~/.config/wharf/token.json',
  );
  const registryOption = () =>
    new Option('--registry <url>', 'registry base URL').env('WHARF_REGISTRY').default(DEFAULT_REGISTRY);

  login
    .command('none')
    .description('Anonymous login (publishes io.modelcontextprotocol.anonymous/*; needs WHARF_AUTH_ANONYMOUS)')
    .addOption(registryOption())
    .action(async (flags: RegistryFlag) => exchange(flags.registry, 'none', undefined));

  login
    .command('github')
    .description('Log in with a GitHub token (--token, GITHUB_TOKEN or MCP_GITHUB_TOKEN); org namespaces need read:org')
    .addOption(registryOption())
    .option('--token <token>', 'GitHub access token (e.g. "$(gh auth token)")')
    .action(async (flags: RegistryFlag & { token?: string }) => {
      const token =
        flags.token || process.env.GITHUB_TOKEN || process.env.MCP_GITHUB_TOKEN || (await deviceFlow(flags.registry));
      await exchange(flags.registry, 'github-at', { github_token: token });
    });

  login
    .command('github-oidc')
    .description('Log in from GitHub Actions (needs `permissions: id-token: write`), or with --token')
    .addOption(registryOption())
    .option('--token <token>', 'a GitHub Actions OIDC token, instead of requesting one from the runner')
    .option('--audience <audience>', 'audience to request (the registry’s WHARF_GITHUB_OIDC_AUDIENCE)', 'mcp-registry')
    .action(async (flags: RegistryFlag & { token?: string; audience: string }) => {
      const token = flags.token ?? (await actionsIdToken(flags.audience));
      await exchange(flags.registry, 'github-oidc', { oidc_token: token });
    });

  for (const method of ['dns', 'http'] as const) {
    login
      .command(method)
      .description(
        method === 'dns'
          ? 'Prove a domain by a TXT record at its apex (grants the domain and subdomains)'
          : 'Prove a domain by https://<domain>/.well-known/mcp-registry-auth (grants only that domain)',
      )
      .addOption(registryOption())
      .requiredOption('--domain <domain>', 'the domain to prove, e.g. example.com')
      .requiredOption('--private-key-file <file>', 'private key from `wharf keygen` (PEM) or a hex key file')
      .addOption(new Option('--algorithm <algorithm>', 'key algorithm of a hex key').choices([...PROOF_ALGORITHMS]))
      .action(async (flags: RegistryFlag & { domain: string; privateKeyFile: string; algorithm?: ProofAlgorithm }) => {
        const signer = signerFromKeyText(fs.readFileSync(flags.privateKeyFile, 'utf8'), flags.algorithm);
        process.stdout.write(`Expected proof record:\n${proofRecord(signer)}\n`);
        const timestamp = rfc3339Now();
        await exchange(flags.registry, method, {
          domain: flags.domain,
          timestamp,
          signed_timestamp: signTimestamp(signer, timestamp),
        });
      });
  }

  login
    .command('oidc')
    .description('Log in with an ID token from the registry’s configured OIDC provider')
    .addOption(registryOption())
    .addOption(new Option('--token <token>', 'OIDC ID token').env('WHARF_OIDC_TOKEN').makeOptionMandatory())
    .action(async (flags: RegistryFlag & { token: string }) =>
      exchange(flags.registry, 'oidc', { oidc_token: flags.token }),
    );

  login
    .command('key')
    .description('Exchange a Wharf API key (wharf_…) for a registry token')
    .addOption(registryOption())
    .addOption(new Option('--key <key>', 'API key').env('WHARF_API_KEY').makeOptionMandatory())
    .action(async (flags: RegistryFlag & { key: string }) => exchange(flags.registry, 'key', { key: flags.key }));

  return login;
}

async function exchange(registry: string, method: string, body: Record<string, string> | undefined): Promise<void> {
  const base = registry.replace(/\/+$/, '');
  const url = `${base}/v0/auth/${method}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : null,
    });
  } catch (error) {
    throw new Error(
      `cannot reach ${url}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`,
      { cause: error },
    );
  }
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`token exchange failed with status ${response.status}: ${problemText(text)}`);
  const issued = JSON.parse(text) as { registry_token?: string; expires_at?: number };
  if (typeof issued.registry_token !== 'string') throw new Error(`${url} did not return a registry_token`);
  const file = saveToken({ token: issued.registry_token, method, registry: base, expires_at: issued.expires_at });
  const claims = decodeClaims(issued.registry_token);
  const expires = issued.expires_at ? new Date(issued.expires_at * 1000).toISOString() : 'unknown';
  const lines = [
    `Logged in to ${base} with ${claims.auth_method ?? method} as ${claims.auth_method_sub ?? '?'}.`,
    ...(claims.permissions ?? []).map((p) => `  may ${p.action} ${p.resource}`),
    `Token saved to ${file} (expires ${expires}).`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function problemText(text: string): string {
  try {
    const problem = JSON.parse(text) as { detail?: string; errors?: Array<{ message?: string }> };
    const causes = (problem.errors ?? []).map((e) => e.message).filter(Boolean);
    return [problem.detail, ...causes].filter(Boolean).join(': ') || text;
  } catch {
    return text;
  }
}

/** Reads the (unverified) claims for display only; the registry verifies them on every request. */
function decodeClaims(token: string): {
  auth_method?: string;
  auth_method_sub?: string;
  permissions?: Array<{ action: string; resource: string }>;
} {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as ReturnType<
      typeof decodeClaims
    >;
  } catch {
    return {};
  }
}

/**
 * GitHub's device flow, for interactive logins without a token at hand. The OAuth client id comes from
 * `WHARF_GITHUB_CLIENT_ID`, else from the registry's `/v0/health` (`github_client_id`), as the official CLI reads it.
 * Org namespaces need an OAuth App (GitHub App user tokens ignore the `read:org` scope).
 */
async function deviceFlow(registry: string): Promise<string> {
  const clientId = process.env.WHARF_GITHUB_CLIENT_ID || (await registryClientId(registry));
  if (!clientId) {
    throw new Error(
      'a GitHub token is required: pass --token "$(gh auth token)" or set GITHUB_TOKEN ' +
        '(interactive login needs WHARF_GITHUB_CLIENT_ID, an OAuth App client id)',
    );
  }
  const github = (process.env.WHARF_GITHUB_URL || 'https://github.com').replace(/\/+$/, '');
  const post = async (path: string, form: Record<string, string>) => {
    const response = await fetch(`${github}${path}`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    if (response.status !== 200) throw new Error(`${github}${path} answered ${response.status}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const code = await post('/login/device/code', { client_id: clientId, scope: 'read:org read:user' });
  if (typeof code.device_code !== 'string') throw new Error('GitHub did not return a device code');
  process.stdout.write(
    `To authenticate, open ${String(code.verification_uri)} and enter the code: ${String(code.user_code)}\n`,
  );
  let intervalMs = (typeof code.interval === 'number' ? code.interval : 5) * 1000;
  const deadline = Date.now() + (typeof code.expires_in === 'number' ? code.expires_in : 900) * 1000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const answer = await post('/login/oauth/access_token', {
      client_id: clientId,
      device_code: code.device_code,
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    });
    if (typeof answer.access_token === 'string') return answer.access_token;
    if (answer.error === 'authorization_pending') continue;
    if (answer.error === 'slow_down') {
      intervalMs += 5000;
      continue;
    }
    throw new Error(`GitHub device login failed: ${String(answer.error_description ?? answer.error ?? 'no token')}`);
  }
  throw new Error('GitHub device login timed out');
}

async function registryClientId(registry: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${registry.replace(/\/+$/, '')}/v0/health`);
    const id = ((await response.json()) as { github_client_id?: unknown }).github_client_id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Requests an ID token from the GitHub Actions runner, as the official CLI does. */
async function actionsIdToken(audience: string): Promise<string> {
  const url = process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !bearer) {
    throw new Error(
      'ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: run inside GitHub Actions with ' +
        '`permissions: id-token: write`, or pass --token',
    );
  }
  const separator = url.includes('?') ? '&' : '?';
  const response = await fetch(`${url}${separator}audience=${encodeURIComponent(audience)}`, {
    headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' },
  });
  if (response.status !== 200) throw new Error(`the Actions token endpoint answered ${response.status}`);
  const value = ((await response.json()) as { value?: unknown }).value;
  if (typeof value !== 'string') throw new Error('the Actions token endpoint returned no token');
  return value;
}
