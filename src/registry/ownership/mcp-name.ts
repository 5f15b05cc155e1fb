const TOKEN_PREFIX = 'mcp-name: ';
const SERVER_NAME_CHAR = /[A-Za-z0-9._/-]/;

/**
 * Whether `rest` (the text right after a matched server name) ends the name. A plain substring test would let a README
 * declaring `mcp-name: io.github.acme/widget-pro` prove ownership of `io.github.acme/widget`; the upstream registry
 * closed that hole after v1.7.0 and Wharf follows. `-->` and `--!>` count as boundaries because the token is commonly
 * hidden in an HTML comment (`<!-- mcp-name: x/y-->`), and `-` alone would otherwise read as part of the name.
 */
function isBoundary(rest: string): boolean {
  if (rest === '' || rest.startsWith('-->') || rest.startsWith('--!>')) return true;
  return !SERVER_NAME_CHAR.test(rest.charAt(0));
}

/**
 * Reports whether a README contains `mcp-name: <serverName>` as a complete token.
 *
 * @example
 * containsMcpNameToken('Docs\n<!-- mcp-name: io.github.acme/widget -->', 'io.github.acme/widget'); // true
 * containsMcpNameToken('mcp-name: io.github.acme/widget-pro', 'io.github.acme/widget'); // false
 */
export function containsMcpNameToken(content: string, serverName: string): boolean {
  const token = TOKEN_PREFIX + serverName;
  for (let from = 0; ;) {
    const idx = content.indexOf(token, from);
    if (idx < 0) return false;
    if (isBoundary(content.slice(idx + token.length, idx + token.length + 4))) return true;
    from = idx + 1;
  }
}

/**
 * When the token is present but only glued to a following name character, returns that character so the message can
 * say why a token the publisher can see was not accepted; otherwise `undefined`.
 */
export function gluedTrailingChar(content: string, serverName: string): string | undefined {
  const token = TOKEN_PREFIX + serverName;
  const idx = content.indexOf(token);
  return idx < 0 ? undefined : content.charAt(idx + token.length) || undefined;
}
