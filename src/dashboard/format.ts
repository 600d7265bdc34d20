/** Escapes text for HTML; every value from the API passes through here before it reaches the page. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A relative change as "−72 % ± 6". */
export function change(c: { change: number; ci95: number } | undefined): string {
  if (!c) return '–';
  const sign = c.change >= 0 ? '+' : '−';
  return `${sign}${Math.abs(Math.round(c.change * 100))} % ± ${Math.round(c.ci95 * 100)}`;
}

export function badge(severity: string): string {
  return `<span class="badge sev-${esc(severity)}">${esc(severity)}</span>`;
}

export function time(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}
