import { describe, expect, it } from 'vitest';
import { goFormatFloat, goQuote, goTrimSpace } from '../../../src/registry/validation/go-text.js';
import { goHostname, parseGoUrl } from '../../../src/registry/validation/go-url.js';

describe('parseGoUrl (Go net/url.Parse)', () => {
  it.each([
    ['', ''],
    ['https://example.com/path?q=1#frag', 'example.com'],
    ['relative/path', ''],
    ['example.com', ''],
    ['https://example.com/{path}/x', 'example.com'],
    ['mailto:someone@example.com', ''],
    ['https://user:pa%20ss@example.com:8443/', 'example.com:8443'],
    ['http://[::1]:8080/', '[::1]:8080'],
    ['http://%C3%A9.example/', 'é.example'],
    ['*', ''],
  ])('accepts %j (host %j)', (raw, host) => {
    const result = parseGoUrl(raw);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.url.host).toBe(host);
  });

  it.each([
    ['::', 'parse "::": missing protocol scheme'],
    ['1http://x', 'parse "1http://x": first path segment in URL cannot contain colon'],
    ['http://a b.com/', 'parse "http://a b.com/": invalid character " " in host name'],
    ['https://{host}/mcp', 'parse "https://{host}/mcp": invalid character "{" in host name'],
    ['http://example.com/%zz', 'parse "http://example.com/%zz": invalid URL escape "%zz"'],
    ['http://example.com/%e', 'parse "http://example.com/%e": invalid URL escape "%e"'],
    ['%', 'parse "%": invalid URL escape "%"'],
    ['http://x.com/%éa', 'parse "http://x.com/%éa": invalid URL escape "%é"'],
    ['http://%41.com/', 'parse "http://%41.com/": invalid URL escape "%41"'],
    ['http://example.com:80a/', 'parse "http://example.com:80a/": invalid port ":80a" after host'],
    ['http://[::1/', `parse "http://[::1/": missing ']' in host`],
    ['http://us er@x.com/', 'parse "http://us er@x.com/": net/url: invalid userinfo'],
    ['a\nb', 'parse "a\\nb": net/url: invalid control character in URL'],
    ['https://x.com/#%zz', 'parse "https://x.com/#%zz": invalid URL escape "%zz"'],
  ])('rejects %j', (raw, error) => {
    expect(parseGoUrl(raw)).toEqual({ ok: false, error });
  });

  it('lower-cases the scheme and keeps opaque URLs without a host', () => {
    const result = parseGoUrl('HTTPS:example.com');
    expect(result).toMatchObject({ ok: true, url: { scheme: 'https', opaque: 'example.com', host: '' } });
  });

  it.each([
    ['https://example.com:8080/x', 'example.com'],
    ['https://[::1]:8080/', '::1'],
    ['https://api.localhost/', 'api.localhost'],
  ])('Hostname() of %s is %s', (raw, hostname) => {
    const result = parseGoUrl(raw);
    if (!result.ok) throw new Error(result.error);
    expect(goHostname(result.url)).toBe(hostname);
  });
});

describe('Go text helpers', () => {
  it('quotes like strconv.Quote', () => {
    expect(goQuote('a"b\\c\n\u00a0é😀\x7f\x01')).toBe('"a\\"b\\\\c\\n\\u00a0é😀\\x7f\\x01"');
    expect(goQuote(Uint8Array.from([0x25, 0xe2, 0x82]))).toBe('"%\\xe2\\x82"');
  });

  it('trims with unicode.IsSpace, not JS trim()', () => {
    expect(goTrimSpace('\u00a0\u0085 x \t')).toBe('x');
    expect(goTrimSpace('\ufeffx')).toBe('\ufeffx');
  });

  it('formats floats like %v', () => {
    expect([100, 1.5, 255, 1e6, 1234567, 1e-7, 0.0001].map(goFormatFloat)).toEqual([
      '100',
      '1.5',
      '255',
      '1e+06',
      '1.234567e+06',
      '1e-07',
      '0.0001',
    ]);
  });
});
