/** Escapes text for HTML; every value from the API passes through here before it reaches the page. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A count with thousands separators: 27,197. */
export function count(n: number): string {
  return NUMBER.format(n);
}

/** A share of something as a percentage: 74.5 %. */
export function share(x: number | null): string {
  return x === null ? '–' : `${(x * 100).toFixed(1)} %`;
}

/** vCPUs per pCPU: 2.5:1. */
export function ratio(x: number): string {
  return `${Number(x.toFixed(2))}:1`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** An age or a period: 200 ms, 4 s, 3 min, 2 h 5 min. */
export function age(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A finding's value in its unit: PLE exits per vCPU-second, or a share of time. */
export function findingValue(kind: string, value: number): string {
  if (kind === 'ple-rate') return `${count(value)} exits/vCPU·s`;
  if (kind.endsWith('share') || kind.endsWith('wait') || kind.includes('throttl')) return share(value);
  return String(Number(value.toPrecision(3)));
}

/** A relative change as "−72 % ± 6". */
export function change(c: { change: number; ci95: number } | undefined): string {
  if (!c) return '–';
  const sign = c.change >= 0 ? '+' : '−';
  return `${sign}${Math.abs(Math.round(c.change * 100))} % ± ${Math.round(c.ci95 * 100)}`;
}

/**
 * A change in a table cell, coloured when its 95 % interval excludes zero: a gain where less is
 * better (PLE exits, spin time) or more is better (useful time).
 */
export function changeCell(c: { change: number; ci95: number } | undefined, lowerIsBetter: boolean): string {
  if (!c) return '<td class="num">–</td>';
  const sure = Math.abs(c.change) > c.ci95;
  const good = lowerIsBetter ? c.change < 0 : c.change > 0;
  const cls = !sure ? '' : good ? 'gain' : 'loss';
  return `<td class="num ${cls}">${change(c)}</td>`;
}

export function badge(severity: string): string {
  return `<span class="badge sev-${esc(severity)}">${esc(severity)}</span>`;
}

const LOCAL = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** A time in the reader's zone (the page says which, see `zoneLabel`). */
export function time(ms: number): string {
  return LOCAL.format(new Date(ms));
}

/** "Europe/Berlin (UTC+01:00)": the zone every time on the page is in. */
export function zoneLabel(at = new Date()): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const offset = -at.getTimezoneOffset();
  const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
  const mm = String(Math.abs(offset) % 60).padStart(2, '0');
  return `${zone} (UTC${offset >= 0 ? '+' : '−'}${hh}:${mm})`;
}

/** Links inside the page's hash route, so they work under any path prefix. */
export const link = {
  node: (node: string) => `#/nodes/${encodeURIComponent(node)}`,
  vm: (node: string, vm: string) => `#/nodes/${encodeURIComponent(node)}/vms/${encodeURIComponent(vm)}`,
};
