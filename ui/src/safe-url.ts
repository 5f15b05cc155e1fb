/**
 * Links and images come from untrusted server.json documents: only http(s) URLs may reach an
 * href or src, so `javascript:` and `data:` payloads never become clickable or loadable.
 */
export function safeHttpUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
