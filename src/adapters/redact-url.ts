/** A URL fit to print: its user and password (which may be credentials) replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = 'REDACTED';
    u.password = '';
    return u.toString();
  } catch {
    return '(an unparseable URL)';
  }
}
