import { goQuote, utf8 } from './go-text.js';

/**
 * A faithful port of the parts of Go's `net/url.Parse` that decide acceptance and error text. Both huma's `uri`
 * format ("expected string to be RFC 3986 uri: parse ...") and the registry's semantic URL rules are defined by
 * what Go accepts, which is far more lenient than WHATWG `new URL()` (relative references pass, `{` in a path
 * passes, `{` in a host fails). Works on UTF-8 bytes because Go does, and its error texts quote byte slices.
 *
 * Not ported: the bracketed-IPv6 literal validation added by Go security releases in late 2025; such hosts are
 * accepted here as older Go accepted them.
 */
export interface GoUrl {
  /** Lower-cased, as Go stores it. */
  scheme: string;
  opaque: string;
  hasUser: boolean;
  /** Percent-decoded host[:port]. */
  host: string;
  path: string;
  rawQuery: string;
  fragment: string;
}

export type GoUrlResult = { ok: true; url: GoUrl } | { ok: false; error: string };

type Mode = 'path' | 'host' | 'zone' | 'userPassword' | 'fragment';

const decoder = new TextDecoder();
const text = (b: Uint8Array) => decoder.decode(b);

class ParseError {
  constructor(readonly message: string) {}
}

const isAlpha = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const unhex = (c: number) => (isDigit(c) ? c - 0x30 : c >= 0x61 ? c - 0x61 + 10 : c - 0x41 + 10);
const byte = (b: Uint8Array, i: number) => b[i] ?? -1;

function indexOf(b: Uint8Array, c: number, from = 0): number {
  return b.indexOf(c, from);
}

function indexOfPct25(b: Uint8Array): number {
  for (let i = 0; i + 2 < b.length; i++) {
    if (byte(b, i) === 0x25 && byte(b, i + 1) === 0x32 && byte(b, i + 2) === 0x35) return i;
  }
  return -1;
}

function shouldEscapeInHost(c: number): boolean {
  if (isAlpha(c) || isDigit(c)) return false;
  // Sub-delims plus : [ ] < > " are tolerated in hosts by Go (see net/url shouldEscape, encodeHost).
  if ('!$&\'()*+,;=:[]<>"-_.~'.includes(String.fromCharCode(c))) return false;
  return true;
}

function unescape(s: Uint8Array, mode: Mode): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length;) {
    const c = byte(s, i);
    if (c === 0x25) {
      if (i + 2 >= s.length || !isHex(byte(s, i + 1)) || !isHex(byte(s, i + 2))) {
        const rest = s.subarray(i);
        throw new ParseError(`invalid URL escape ${goQuote(rest.length > 3 ? rest.subarray(0, 3) : rest)}`);
      }
      const isPct25 = byte(s, i + 1) === 0x32 && byte(s, i + 2) === 0x35;
      if (mode === 'host' && unhex(byte(s, i + 1)) < 8 && !isPct25) {
        throw new ParseError(`invalid URL escape ${goQuote(s.subarray(i, i + 3))}`);
      }
      const v = (unhex(byte(s, i + 1)) << 4) | unhex(byte(s, i + 2));
      if (mode === 'zone' && !isPct25 && v !== 0x20 && shouldEscapeInHost(v)) {
        throw new ParseError(`invalid URL escape ${goQuote(s.subarray(i, i + 3))}`);
      }
      out.push(v);
      i += 3;
      continue;
    }
    if ((mode === 'host' || mode === 'zone') && c < 0x80 && shouldEscapeInHost(c)) {
      throw new ParseError(`invalid character ${goQuote(s.subarray(i, i + 1))} in host name`);
    }
    out.push(c);
    i++;
  }
  return Uint8Array.from(out);
}

function validOptionalPort(port: Uint8Array): boolean {
  if (port.length === 0) return true;
  if (byte(port, 0) !== 0x3a) return false;
  for (let i = 1; i < port.length; i++) if (!isDigit(byte(port, i))) return false;
  return true;
}

function parseHost(host: Uint8Array): Uint8Array {
  if (byte(host, 0) === 0x5b) {
    const close = host.lastIndexOf(0x5d);
    if (close < 0) throw new ParseError("missing ']' in host");
    const colonPort = host.subarray(close + 1);
    if (!validOptionalPort(colonPort)) throw new ParseError(`invalid port ${goQuote(colonPort)} after host`);
    const zone = indexOfPct25(host.subarray(0, close));
    if (zone >= 0) {
      const a = unescape(host.subarray(0, zone), 'host');
      const z = unescape(host.subarray(zone, close), 'zone');
      const c = unescape(host.subarray(close), 'host');
      return Uint8Array.from([...a, ...z, ...c]);
    }
  } else {
    const colon = host.lastIndexOf(0x3a);
    if (colon !== -1) {
      const colonPort = host.subarray(colon);
      if (!validOptionalPort(colonPort)) throw new ParseError(`invalid port ${goQuote(colonPort)} after host`);
    }
  }
  return unescape(host, 'host');
}

const userinfoExtra = new Set("-._:~!$&'()*+,;=%@".split('').map((c) => c.charCodeAt(0)));

function validUserinfo(s: Uint8Array): boolean {
  for (const c of s) if (!isAlpha(c) && !isDigit(c) && !userinfoExtra.has(c)) return false;
  return true;
}

function parseAuthority(authority: Uint8Array): Uint8Array {
  const at = authority.lastIndexOf(0x40);
  const host = parseHost(at < 0 ? authority : authority.subarray(at + 1));
  if (at < 0) return host;
  const userinfo = authority.subarray(0, at);
  if (!validUserinfo(userinfo)) throw new ParseError('net/url: invalid userinfo');
  const colon = indexOf(userinfo, 0x3a);
  if (colon < 0) unescape(userinfo, 'userPassword');
  else {
    unescape(userinfo.subarray(0, colon), 'userPassword');
    unescape(userinfo.subarray(colon + 1), 'userPassword');
  }
  return host;
}

function getScheme(raw: Uint8Array): [Uint8Array, Uint8Array] {
  for (let i = 0; i < raw.length; i++) {
    const c = byte(raw, i);
    if (isAlpha(c)) continue;
    if (isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e) {
      if (i === 0) return [new Uint8Array(), raw];
      continue;
    }
    if (c === 0x3a) {
      if (i === 0) throw new ParseError('missing protocol scheme');
      return [raw.subarray(0, i), raw.subarray(i + 1)];
    }
    return [new Uint8Array(), raw];
  }
  return [new Uint8Array(), raw];
}

function parse(raw: Uint8Array): GoUrl {
  for (const c of raw) if (c < 0x20 || c === 0x7f) throw new ParseError('net/url: invalid control character in URL');
  const url: GoUrl = { scheme: '', opaque: '', hasUser: false, host: '', path: '', rawQuery: '', fragment: '' };
  if (raw.length === 1 && byte(raw, 0) === 0x2a) return { ...url, path: '*' };

  const [scheme, afterScheme] = getScheme(raw);
  url.scheme = text(scheme).toLowerCase();
  let rest = afterScheme;
  const firstQ = indexOf(rest, 0x3f);
  if (firstQ === rest.length - 1 && firstQ >= 0) {
    rest = rest.subarray(0, rest.length - 1);
  } else if (firstQ >= 0) {
    url.rawQuery = text(rest.subarray(firstQ + 1));
    rest = rest.subarray(0, firstQ);
  }

  if (byte(rest, 0) !== 0x2f) {
    if (url.scheme !== '') return { ...url, opaque: text(rest) };
    const slash = indexOf(rest, 0x2f);
    const segment = slash < 0 ? rest : rest.subarray(0, slash);
    if (indexOf(segment, 0x3a) >= 0) throw new ParseError('first path segment in URL cannot contain colon');
  }

  const startsWithTwo = byte(rest, 0) === 0x2f && byte(rest, 1) === 0x2f;
  const startsWithThree = startsWithTwo && byte(rest, 2) === 0x2f;
  if ((url.scheme !== '' || !startsWithThree) && startsWithTwo) {
    let authority = rest.subarray(2);
    rest = new Uint8Array();
    const slash = indexOf(authority, 0x2f);
    if (slash >= 0) {
      rest = authority.subarray(slash);
      authority = authority.subarray(0, slash);
    }
    url.hasUser = authority.lastIndexOf(0x40) >= 0;
    url.host = text(parseAuthority(authority));
  }
  url.path = text(unescape(rest, 'path'));
  return url;
}

/** Go's `url.Parse(raw)`; on failure `error` is exactly `err.Error()` (e.g. `parse "::": missing protocol scheme`). */
export function parseGoUrl(raw: string): GoUrlResult {
  const bytes = utf8(raw);
  const hash = indexOf(bytes, 0x23);
  const u = hash >= 0 ? bytes.subarray(0, hash) : bytes;
  let url: GoUrl;
  try {
    url = parse(u);
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: `parse ${goQuote(u)}: ${e.message}` };
    throw e;
  }
  if (hash < 0 || hash === bytes.length - 1) return { ok: true, url };
  try {
    url.fragment = text(unescape(bytes.subarray(hash + 1), 'fragment'));
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: `parse ${goQuote(bytes)}: ${e.message}` };
    throw e;
  }
  return { ok: true, url };
}

/** Go's `(*url.URL).Hostname()`: host without a valid `:port`, brackets stripped. */
export function goHostname(url: GoUrl): string {
  let host = url.host;
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && validOptionalPort(utf8(host.slice(colon)))) host = host.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return host;
}
