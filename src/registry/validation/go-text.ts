/**
 * Go text semantics the official registry's messages depend on: strconv.Quote (`%q`), unicode.IsSpace /
 * strings.TrimSpace, RE2's ASCII-only `\s`, and fmt's `%v` of a string slice. The registry and huma build their
 * error messages with these, so reproducing them byte-for-byte keeps our messages identical.
 */

const encoder = new TextEncoder();

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

// unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space only.
function isPrint(cp: number): boolean {
  return cp === 0x20 || printable.test(String.fromCodePoint(cp));
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** Decodes one UTF-8 sequence at `i`; returns [codePoint, width] or [-1, 1] for an invalid byte, as Go does. */
function decodeRune(b: Uint8Array, i: number): [number, number] {
  const c0 = b[i] ?? 0;
  if (c0 < 0x80) return [c0, 1];
  const need = c0 >= 0xf0 && c0 <= 0xf4 ? 3 : c0 >= 0xe0 ? (c0 <= 0xef ? 2 : 0) : c0 >= 0xc2 && c0 <= 0xdf ? 1 : 0;
  if (need === 0) return [-1, 1];
  let cp = c0 & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
  for (let k = 1; k <= need; k++) {
    const c = b[i + k];
    if (c === undefined || (c & 0xc0) !== 0x80) return [-1, 1];
    cp = (cp << 6) | (c & 0x3f);
  }
  const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return [-1, 1];
  return [cp, need + 1];
}

/** Go's strconv.Quote (also what `%q` and `%#v` print for a string). Accepts raw bytes to keep invalid UTF-8. */
export function goQuote(input: string | Uint8Array): string {
  const b = typeof input === 'string' ? utf8(input) : input;
  let out = '"';
  for (let i = 0; i < b.length;) {
    const [cp, width] = decodeRune(b, i);
    if (cp < 0) {
      out += `\\x${hex(b[i] ?? 0, 2)}`;
      i += 1;
      continue;
    }
    i += width;
    if (cp === 0x22 || cp === 0x5c) out += `\\${String.fromCharCode(cp)}`;
    else if (isPrint(cp)) out += String.fromCodePoint(cp);
    else out += escapeNonPrintable(cp);
  }
  return `${out}"`;
}

function escapeNonPrintable(cp: number): string {
  switch (cp) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x0b:
      return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`;
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

// unicode.IsSpace, which strings.TrimSpace uses; note it differs from JS trim() (U+0085 in, U+FEFF out).
const goSpace = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

export function isGoSpace(ch: string): boolean {
  return goSpace.has(ch.codePointAt(0) ?? -1);
}

export function goTrimSpace(s: string): string {
  const chars = Array.from(s);
  let start = 0;
  let end = chars.length;
  while (start < end && isGoSpace(chars[start] ?? '')) start++;
  while (end > start && isGoSpace(chars[end - 1] ?? '')) end--;
  return chars.slice(start, end).join('');
}

/** fmt's `%v` of a []string: `[a b c]`. */
export function goStringSlice(values: readonly string[]): string {
  return `[${values.join(' ')}]`;
}

/** fmt's `%v` of a float64 (`%g` with the shortest representation): 100 → "100", 1e6 → "1e+06". */
export function goFormatFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa = '0', expText = '0'] = n.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}
