/** A cell that reads as a number: digits with an optional sign, separators, unit or ± interval. */
const NUMERIC = /^[+\-−]?\d[\d,.]*(\s?(%|ms|s|x))?(\s±\s[\d,.]+(\s?%)?)?$|^n\/a$|^\d+\/\d+$/;

/**
 * Renders rows as an aligned table for human output: a column whose cells all read as numbers
 * is right-aligned (so digits line up), text is left-aligned.
 */
export function textTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => {
    const cells = rows.map((r) => r[i] ?? '').filter((c) => c !== '');
    return cells.length > 0 && cells.every((c) => NUMERIC.test(c));
  });
  const line = (r: string[]) =>
    header
      .map((_, i) => (numeric[i] ? (r[i] ?? '').padStart(widths[i]!) : (r[i] ?? '').padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

export const ms = (ns: number): string => (ns / 1e6).toFixed(1);
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
export const pct = (fraction: number): string =>
  Number.isFinite(fraction) ? `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%` : 'n/a';
