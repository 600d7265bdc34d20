import type UPlot from 'uplot';
import type { Chart } from './api.js';
import { esc } from './format.js';
import { replaceQuery } from './route.js';

declare const uPlot: typeof UPlot;

const PALETTE = ['#1565c0', '#c62828', '#2e7d32', '#b45309', '#6a1b9a', '#00838f', '#ad1457', '#6d4c41'];
const HEIGHT = 220;

/** Plots on the page, resized with their boxes (a ResizeObserver), dropped when the page changes. */
const plots = new Map<HTMLElement, UPlot>();
const resizer = new ResizeObserver((entries) => {
  for (const e of entries)
    plots
      .get(e.target as HTMLElement)
      ?.setSize({ width: chartWidth(e.target as HTMLElement), height: HEIGHT });
});

function chartWidth(box: HTMLElement): number {
  return Math.max(240, Math.floor(box.clientWidth - 16));
}

export function dropCharts(): void {
  for (const [box, plot] of plots) {
    resizer.unobserve(box);
    plot.destroy();
  }
  plots.clear();
}

/** Draws one chart with uPlot in the page's colours; the box records how many points it drew (tests read it). */
export function drawChart(host: HTMLElement, chart: Chart): void {
  const box = document.createElement('div');
  box.className = 'chart';
  box.innerHTML = `<h3>${esc(chart.title)}</h3>`;
  host.append(box);
  const points = chart.lines.reduce((a, l) => a + l.values.filter((v) => v !== null).length, 0);
  box.dataset.points = String(points);
  if (points === 0) {
    box.insertAdjacentHTML('beforeend', '<p class="muted">no data in this range</p>');
    return;
  }
  const style = getComputedStyle(document.body);
  const fg = style.getPropertyValue('--muted').trim() || '#666';
  const grid = style.getPropertyValue('--line').trim() || '#ddd';
  const axis = { stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid } };
  const plot = new uPlot(
    {
      width: chartWidth(box),
      height: HEIGHT,
      scales: { x: { time: true } },
      series: [
        {},
        ...chart.lines.map((l, i) => ({
          label: l.label,
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          spanGaps: true,
        })),
      ],
      axes: [axis, { ...axis, label: chart.unit, size: 60 }],
    },
    [chart.times, ...chart.lines.map((l) => l.values)] as UPlot.AlignedData,
    box,
  );
  plots.set(box, plot);
  resizer.observe(box);
}

export const RANGES = [
  [15, '15 min'],
  [60, '1 h'],
  [360, '6 h'],
  [1440, '24 h'],
] as const;

export function rangePicker(minutes: number): string {
  return `<label class="range">time range <select id="range">${RANGES.map(
    ([m, label]) => `<option value="${m}" ${m === minutes ? 'selected' : ''}>${label}</option>`,
  ).join('')}</select></label>`;
}

export function rangeOf(query: URLSearchParams): number {
  const m = Number(query.get('range'));
  return RANGES.some(([r]) => r === m) ? m : 60;
}

/** A new range goes into the hash and the page is drawn again with it. */
export function followRange(view: HTMLElement): void {
  view.querySelector<HTMLSelectElement>('#range')!.addEventListener('change', (e) => {
    replaceQuery({ range: (e.target as HTMLSelectElement).value });
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  });
}
