export interface Table {
  title: string;
  /** One object per row, keyed by the header. */
  rows: Record<string, string | number>[];
}

/** Every table printed in this run, for `--json`. */
export const tables: Table[] = [];
/** With `--json` the text tables go to stderr and stdout carries only the JSON document. */
export const output = { json: false };

/** Prints rows as an aligned text table; benchmarks compare their variants side by side in one. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  tables.push({ title, rows: rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) });
  const out = output.json ? process.stderr : process.stdout;
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  out.write(`\n${title}\n${line(cells[0]!)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of cells.slice(1)) out.write(`${line(r as string[])}\n`);
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

export async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await run();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}
