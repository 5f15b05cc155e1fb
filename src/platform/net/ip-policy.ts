import ipaddr from 'ipaddr.js';

/** The verdict on one IP address: may an outbound request to a user-supplied URL connect to it? */
export interface AddressVerdict {
  readonly allowed: boolean;
  /** Human-readable class of the address, e.g. `loopback` or `private (RFC 1918)`; `public` when allowed. */
  readonly label: string;
}

const V4_LABELS: Record<string, string> = {
  unspecified: 'unspecified (0.0.0.0/8)',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local (169.254.0.0/16, includes cloud metadata endpoints)',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  private: 'private (RFC 1918)',
  reserved: 'reserved',
  benchmarking: 'benchmarking (198.18.0.0/15)',
  as112: 'AS112 anycast',
  amt: 'AMT relay anycast',
};

const V6_LABELS: Record<string, string> = {
  unspecified: 'unspecified (::)',
  linkLocal: 'link-local (fe80::/10)',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'unique-local (fc00::/7)',
  deprecatedSiteLocal: 'site-local (fec0::/10)',
  discard: 'discard-only (100::/64)',
  teredo: 'Teredo tunnel',
  benchmarking: 'benchmarking',
  amt: 'AMT relay anycast',
  as112v6: 'AS112 anycast',
  deprecatedOrchid: 'ORCHID',
  orchid2: 'ORCHIDv2',
  droneRemoteIdProtocolEntityTags: 'DRIP entity tags',
  segmentRouting: 'segment routing (5f00::/16)',
  reserved: 'reserved',
};

/** Global unicast space; everything outside it is special-purpose or unassigned. */
const GLOBAL_UNICAST_V6: [ipaddr.IPv6, number] = ipaddr.IPv6.parseCIDR('2000::/3');
/** RFC 8215 local-use NAT64 prefix: the embedded IPv4 position is operator-defined, so it cannot be checked. */
const LOCAL_NAT64: [ipaddr.IPv6, number] = ipaddr.IPv6.parseCIDR('64:ff9b:1::/48');

function classifyV4(ip: ipaddr.IPv4): AddressVerdict {
  const range = ip.range() as string;
  if (range === 'unicast') return { allowed: true, label: 'public' };
  return { allowed: false, label: V4_LABELS[range] ?? range };
}

function v4FromBytes(bytes: number[]): ipaddr.IPv4 {
  return new ipaddr.IPv4(bytes.slice(0, 4));
}

/** Checks the IPv4 address an IPv6 translation/tunnel form carries, so `::ffff:127.0.0.1` is as blocked as `127.0.0.1`. */
function classifyEmbedded(v4: ipaddr.IPv4, form: string): AddressVerdict {
  const inner = classifyV4(v4);
  if (inner.allowed) return inner;
  return { allowed: false, label: `${inner.label} (as ${form} ${v4.toString()})` };
}

function classifyV6(ip: ipaddr.IPv6): AddressVerdict {
  const range = ip.range() as string;
  const bytes = ip.toByteArray();
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return classifyEmbedded(v4FromBytes(bytes.slice(12)), 'IPv4-mapped IPv6');
    case 'rfc6052':
      if (ip.match(LOCAL_NAT64)) return { allowed: false, label: 'local-use NAT64 (64:ff9b:1::/48)' };
      return classifyEmbedded(v4FromBytes(bytes.slice(12)), 'NAT64');
    case '6to4':
      return classifyEmbedded(v4FromBytes(bytes.slice(2, 6)), '6to4');
    case 'unicast':
      if (ip.match(GLOBAL_UNICAST_V6)) return { allowed: true, label: 'public' };
      if (bytes.slice(0, 12).every((b) => b === 0)) {
        return { allowed: false, label: 'IPv4-compatible IPv6 (deprecated ::/96)' };
      }
      return { allowed: false, label: 'reserved (outside 2000::/3)' };
    default:
      return { allowed: false, label: V6_LABELS[range] ?? range };
  }
}

/**
 * Classifies an IP address literal for outbound requests to user-supplied URLs. Only public unicast addresses are
 * allowed; IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4) are judged by the embedded address.
 * Unparseable input is refused rather than guessed at.
 *
 * @example
 * classifyAddress('169.254.169.254'); // { allowed: false, label: 'link-local (169.254.0.0/16, includes …)' }
 * classifyAddress('::ffff:10.0.0.1').allowed; // false
 * classifyAddress('8.8.8.8').allowed; // true
 */
export function classifyAddress(address: string): AddressVerdict {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address.includes(':') ? canonicalV6(address) : address);
  } catch {
    return { allowed: false, label: 'unparseable address' };
  }
  return ip.kind() === 'ipv4' ? classifyV4(ip as ipaddr.IPv4) : classifyV6(ip as ipaddr.IPv6);
}

/**
 * ipaddr.js reads any dotted IPv6 tail as IPv4-mapped (`::127.0.0.1` becomes `::ffff:127.0.0.1`), while the socket layer
 * treats it as IPv4-compatible; the WHATWG URL serializer writes the form the kernel will use. The zone index only
 * selects an interface, so it plays no part in the verdict.
 */
function canonicalV6(address: string): string {
  const bare = address.split('%')[0] ?? address;
  try {
    return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return bare;
  }
}

/** Strips the brackets the URL parser keeps around IPv6 hosts and reports whether the host is an IP literal. */
export function ipLiteralOf(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) && (ipaddr.IPv4.isValidFourPartDecimal(bare) || bare.includes(':')) ? bare : null;
}

/** Decides whether one resolved or literal address may be connected to. */
export type AddressPolicy = (address: string) => AddressVerdict;

/**
 * What can be decided about a URL's host before any DNS lookup: an IP literal gets the policy's verdict, and the
 * names RFC 6761 reserves for loopback (`localhost`, `*.localhost`) are refused without trusting the local resolver
 * to agree, and an allow-list of addresses does not lift that: only `allowPrivateNetworks` does. Any other name is
 * allowed here and checked when it resolves (guarded-lookup.ts). `address` is the literal, when the host is one.
 */
export function hostVerdict(
  hostname: string,
  policy: AddressPolicy,
  allowPrivateNetworks: boolean,
): AddressVerdict & { address: string | undefined } {
  const literal = ipLiteralOf(hostname);
  if (literal !== null) return { ...policy(literal), address: literal };
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (!allowPrivateNetworks && (name === 'localhost' || name.endsWith('.localhost'))) {
    return { allowed: false, label: 'loopback', address: undefined };
  }
  return { allowed: true, label: 'name (checked when it resolves)', address: undefined };
}

/**
 * The policy the outbound client enforces: everything passes when private networks are allowed; otherwise only public
 * addresses and those inside an explicit allow-list (CIDRs or single addresses, e.g. an internal mirror at
 * `10.0.0.5`) pass.
 */
export function createAddressPolicy(
  allowPrivateNetworks: boolean,
  allowAddresses: readonly string[] = [],
): AddressPolicy {
  if (allowPrivateNetworks) return () => ({ allowed: true, label: 'allowed (private networks enabled)' });
  const ranges = allowAddresses.map(parseRange);
  return (address) => {
    const verdict = classifyAddress(address);
    if (verdict.allowed || ranges.length === 0) return verdict;
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      ip = ipaddr.process(address);
    } catch {
      return verdict;
    }
    const listed = ranges.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits));
    return listed ? { allowed: true, label: 'allow-listed' } : verdict;
  };
}

function parseRange(entry: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (entry.includes('/')) return ipaddr.parseCIDR(entry);
  const ip = ipaddr.parse(entry);
  return [ip, ip.kind() === 'ipv4' ? 32 : 128];
}
