import { isIP } from 'node:net';
import { OutboundError, OutboundTooLargeError } from '../../platform/net/index.js';
import type { OutboundClient } from '../../platform/net/index.js';
import type { Permission } from '../permissions.js';
import { dnsFailure } from './dns.js';
import type { TxtLookup } from './dns.js';
import { LoginDenied } from './login-error.js';
import type { LoginIdentity } from './login-error.js';
import { parseProofRecords, verifyWithAnyKey } from './proof.js';
import type { ProofKey } from './proof.js';

export interface DomainProofInput {
  domain: string;
  timestamp: string;
  signed_timestamp: string;
}

/** Official limits: ±15 s clock skew, 4 KiB well-known body, 5 s DNS, 2 s per wrong-selector probe. */
const MAX_SKEW_MS = 15_000;
export const MAX_WELL_KNOWN_BYTES = 4096;
const DNS_TIMEOUT_MS = 5_000;
const SELECTOR_PROBE_TIMEOUT_MS = 2_000;
/** Where people put the record by mistake (DKIM habits); the record belongs at the apex (official #385, #1103). */
const COMMON_WRONG_SELECTORS = ['_mcp-auth', '_mcp-registry'];

const DOMAIN = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export interface DomainProofOptions {
  lookupTxt: TxtLookup;
  client: OutboundClient;
  /** `https://{domain}/.well-known/mcp-registry-auth` unless configured. */
  httpUrlTemplate: string;
  now: () => Date;
}

/** DNS and HTTP domain proofs (`auth/dns`, `auth/http`), with the official rules and messages. */
export class DomainProofLogin {
  constructor(private readonly options: DomainProofOptions) {}

  async dns(input: DomainProofInput): Promise<LoginIdentity> {
    return this.exchange(input, 'dns', 'DNS authentication failed', (domain) => this.dnsKeys(domain));
  }

  async http(input: DomainProofInput): Promise<LoginIdentity> {
    return this.exchange(input, 'http', 'HTTP authentication failed', async (domain) => {
      try {
        return [await this.wellKnownKey(domain)];
      } catch (error) {
        throw new Error(`failed to fetch public key: ${(error as Error).message}`, { cause: error });
      }
    });
  }

  private async exchange(
    input: DomainProofInput,
    method: 'dns' | 'http',
    title: string,
    fetchKeys: (domain: string) => Promise<string[]>,
  ): Promise<LoginIdentity> {
    const { domain, timestamp } = input;
    const deny = (reason: string) => new LoginDenied(title, reason, domain);
    if (!isValidDomain(domain)) throw deny('invalid domain format');
    const skewError = this.checkTimestamp(timestamp);
    if (skewError) throw deny(skewError);
    const signature = decodeHex(input.signed_timestamp);
    if (typeof signature === 'string') throw deny(`invalid signature format, must be hex: ${signature}`);

    let records: string[];
    try {
      records = await fetchKeys(domain);
    } catch (error) {
      throw deny(`failed to fetch keys: ${(error as Error).message}`);
    }
    const parsed = parseProofRecords(records);
    if (parsed.length === 0) {
      throw deny(
        method === 'dns' ? 'no MCP public key found in DNS TXT records' : 'no MCP public key found in HTTP response',
      );
    }
    const only = parsed[0];
    if (parsed.length === 1 && only && 'error' in only) throw deny(only.error.message);
    const keys = parsed.flatMap((p): ProofKey[] => ('key' in p ? [p.key] : []));
    if (keys.length === 0) throw deny('no valid MCP public key found');
    try {
      verifyWithAnyKey(keys, Buffer.from(timestamp, 'utf8'), signature);
    } catch (error) {
      throw deny((error as Error).message);
    }
    return { method, subject: domain, permissions: domainPermissions(domain, method === 'dns') };
  }

  private checkTimestamp(timestamp: string): string | undefined {
    const match = RFC3339.exec(timestamp);
    const at = match ? Date.parse(timestamp) : Number.NaN;
    if (!match || Number.isNaN(at)) {
      return `invalid timestamp format: parsing time ${JSON.stringify(timestamp)} as "2006-01-02T15:04:05Z07:00": not an RFC 3339 timestamp`;
    }
    const now = this.options.now().getTime();
    if (at < now - MAX_SKEW_MS || at > now + MAX_SKEW_MS) return 'timestamp outside valid window (±15 seconds)';
    return undefined;
  }

  private async dnsKeys(domain: string): Promise<string[]> {
    let records: string[];
    try {
      records = await this.options.lookupTxt(domain, DNS_TIMEOUT_MS);
    } catch (error) {
      // An apex without any TXT record is the classic symptom of a record put under a selector: say so when it is.
      const absent = ['ENODATA', 'ENOTFOUND'].includes((error as NodeJS.ErrnoException).code ?? '');
      const misplaced = absent ? await this.findMisplacedSelector(domain) : undefined;
      if (misplaced) throw new Error(misplacedMessage(domain, misplaced), { cause: error });
      throw new Error(`failed to lookup DNS TXT records: ${dnsFailure(error)}`, { cause: error });
    }
    if (!records.some((r) => r.includes('v=MCPv1'))) {
      const misplaced = await this.findMisplacedSelector(domain);
      if (misplaced) throw new Error(misplacedMessage(domain, misplaced));
    }
    return records;
  }

  private async findMisplacedSelector(domain: string): Promise<string | undefined> {
    const probes = COMMON_WRONG_SELECTORS.map(async (selector) => {
      const name = `${selector}.${domain}`;
      try {
        const records = await this.options.lookupTxt(name, SELECTOR_PROBE_TIMEOUT_MS);
        return records.some((r) => r.includes('v=MCPv1')) ? name : undefined;
      } catch {
        return undefined;
      }
    });
    return (await Promise.all(probes)).find((name) => name !== undefined);
  }

  private async wellKnownKey(domain: string): Promise<string> {
    const url = this.options.httpUrlTemplate.replace('{domain}', domain);
    let response;
    try {
      // Redirects are not followed (as official): a 3xx is answered as a non-200 status below.
      response = await this.options.client.fetch(url, {
        headers: { accept: 'text/plain' },
        redirect: 'manual',
        maxBytes: MAX_WELL_KNOWN_BYTES,
      });
    } catch (error) {
      if (error instanceof OutboundTooLargeError) throw new Error('HTTP auth key response too large', { cause: error });
      if (error instanceof OutboundError) throw new Error(`failed to fetch key: ${error.message}`, { cause: error });
      throw error;
    }
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: failed to fetch key from ${url}`);
    return response.text().trim();
  }
}

function misplacedMessage(domain: string, found: string): string {
  return (
    `no MCPv1 TXT record at ${JSON.stringify(domain)}, but one was found at ${JSON.stringify(found)} — ` +
    'MCP DNS auth requires the record at the apex domain, not under a selector'
  );
}

/** The official domain rule: ≤ 253 characters, at least one dot, no IP literal, letters/digits/hyphens per label. */
export function isValidDomain(domain: string): boolean {
  if (domain.length === 0 || domain.length > 253) return false;
  if (isIP(domain) !== 0) return false;
  if (!domain.includes('.')) return false;
  return DOMAIN.test(domain);
}

/** `example.com` → `com.example`: plain label reversal, case kept (as official). */
export function reverseDomain(domain: string): string {
  return domain.split('.').reverse().join('.');
}

/** DNS proves the whole zone (`com.example/*` and `com.example.*`); HTTP only the exact host (`com.example/*`). */
export function domainPermissions(domain: string, includeSubdomains: boolean): Permission[] {
  const reversed = reverseDomain(domain);
  const permissions: Permission[] = [{ action: 'publish', resource: `${reversed}/*` }];
  if (includeSubdomains) permissions.push({ action: 'publish', resource: `${reversed}.*` });
  return permissions;
}

/** Go's hex.DecodeString, with its error texts; the bytes, or the error message. */
function decodeHex(text: string): Buffer | string {
  const bad = /[^0-9a-fA-F]/.exec(text);
  if (bad) {
    const char = bad[0];
    const code = (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    return `encoding/hex: invalid byte: U+${code} ${JSON.stringify(char).replace(/^"|"$/g, "'")}`;
  }
  if (text.length % 2 !== 0) return 'encoding/hex: odd length hex string';
  return Buffer.from(text, 'hex');
}
