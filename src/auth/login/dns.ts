import dns from 'node:dns';
import type { LookupAddress } from 'node:dns';
import type { Resolver as AddressResolver } from '../../platform/net/index.js';

/** TXT lookup: each record's character strings joined, as Go's `net.LookupTXT` returns them. */
export type TxtLookup = (name: string, timeoutMs: number) => Promise<string[]>;

/**
 * DNS for the login methods. With `server` (`WHARF_DNS_RESOLVER`), TXT proofs and the host names auth requests
 * connect to are both resolved by that server, so a private deployment can point auth at its own DNS.
 */
export function createLoginDns(server: string | undefined): { lookupTxt: TxtLookup; resolveAddress?: AddressResolver } {
  const resolverFor = (timeoutMs: number) => {
    const resolver = new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
    if (server) resolver.setServers([server]);
    return resolver;
  };
  const lookupTxt: TxtLookup = async (name, timeoutMs) => {
    const records = await resolverFor(timeoutMs).resolveTxt(name);
    return records.map((chunks) => chunks.join(''));
  };
  if (!server) return { lookupTxt };
  const resolveAddress: AddressResolver = async (hostname) => {
    const resolver = resolverFor(5_000);
    const settle = async (family: 4 | 6): Promise<LookupAddress[]> => {
      try {
        const addresses = family === 4 ? await resolver.resolve4(hostname) : await resolver.resolve6(hostname);
        return addresses.map((address) => ({ address, family }));
      } catch {
        return [];
      }
    };
    const all = [...(await settle(4)), ...(await settle(6))];
    if (all.length === 0) {
      const error: NodeJS.ErrnoException = new Error(`no address found for ${hostname} at DNS server ${server}`);
      error.code = 'ENOTFOUND';
      throw error;
    }
    return all;
  };
  return { lookupTxt, resolveAddress };
}

/** A resolver error as a short reason (`queryTxt ENOTFOUND example.com`). */
export function dnsFailure(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { hostname?: string };
  if (e.code && e.syscall) return `${e.syscall} ${e.code} ${e.hostname ?? ''}`.trim();
  return e instanceof Error ? e.message : String(error);
}
