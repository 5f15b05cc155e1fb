import dns from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { OutboundBlockedError } from './errors.js';
import type { AddressPolicy } from './ip-policy.js';

/** Resolves a host name to its addresses; injectable so tests can simulate DNS answers without a resolver. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

/** The `lookup` signature `net.connect`/`tls.connect` call; `all` is set when Happy Eyeballs is on. */
export type ConnectLookup = (
  hostname: string,
  options: dns.LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

export const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/**
 * Builds the `lookup` handed to the socket layer. Because the socket connects to exactly the addresses returned here,
 * checking them here (rather than resolving once up front and connecting later) leaves no window for DNS rebinding.
 * One non-public answer refuses the whole name: a name that mixes public and private answers is either split-horizon
 * DNS, which a public registry has no business reaching, or an attack.
 */
export function createGuardedLookup(resolve: Resolver, policy: AddressPolicy): ConnectLookup {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        const wanted =
          options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
        if (wanted.length === 0) {
          const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          err.code = 'ENOTFOUND';
          callback(err, '');
          return;
        }
        for (const { address } of wanted) {
          const verdict = policy(address);
          if (!verdict.allowed) {
            callback(OutboundBlockedError.forAddress(hostname, address, verdict.label), '');
            return;
          }
        }
        const first = wanted[0] as LookupAddress;
        if (options.all) callback(null, wanted);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}
