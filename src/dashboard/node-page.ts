import type UPlot from 'uplot';
import { api, type Chart } from './api.js';
import { badge, change, esc, time } from './format.js';
import { recommendationRows, RECS_HEAD } from './overview.js';

declare const uPlot: typeof UPlot;

const PALETTE = ['#1565c0', '#c62828', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#ad1457', '#4e342e'];

/** Draws one chart with uPlot; the element records how many points it drew (tests read it). */
function draw(host: HTMLElement, chart: Chart): void {
  const box = document.createElement('div');
  box.className = 'chart';
  box.innerHTML = `<h3>${esc(chart.title)}</h3>`;
  host.append(box);
  const points = chart.lines.reduce((a, l) => a + l.values.filter((v) => v !== null).length, 0);
  box.dataset.points = String(points);
  if (points === 0) {
    box.insertAdjacentHTML('beforeend', '<p class="muted">no data yet</p>');
    return;
  }
  new uPlot(
    {
      width: 540,
      height: 220,
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
      axes: [{}, { label: chart.unit, size: 60 }],
    },
    [chart.times, ...chart.lines.map((l) => l.values)] as UPlot.AlignedData,
    box,
  );
}

/** One node: its state, charts of the last half hour, what-ifs and recommendations with evidence. */
export async function renderNode(view: HTMLElement, name: string): Promise<void> {
  const [node, series] = await Promise.all([api.node(name), api.series(name, 30)]);
  const a = node.analysis;
  view.innerHTML = `
    <h2>${esc(name)} ${a ? badge(a.severity) : ''}</h2>
    <p>${esc(node.inventory.kernel)} (${esc(node.inventory.scheduler)}, ${esc(node.inventory.cpuVendor)}) · model ${esc(a?.model ?? 'not analysed yet')} ·
      ${node.inventory.vms.reduce((s, vm) => s + vm.vcpus.length, 0)} vCPUs on ${node.inventory.pcpus} pCPUs
      ${a ? `· window ${time(a.windowStartMs)} – ${time(a.windowEndMs)} (${a.samples} samples), fit residual ${(a.residual * 100).toFixed(1)} %` : ''}</p>
    <div class="charts" id="charts"></div>
    <h2>Findings</h2>
    <table id="findings"><tr><th>severity</th><th>kind</th><th>detail</th><th>value</th><th>threshold</th></tr>${(
      a?.findings ?? []
    )
      .map(
        (f) =>
          `<tr><td>${badge(f.severity)}</td><td>${esc(f.kind)}</td><td>${esc(f.message)}</td><td class="num">${esc(f.value)}</td><td class="num">${esc(f.threshold)}</td></tr>`,
      )
      .join('')}</table>
    <h2>Observed vs predicted: every what-if replayed on the fitted workload</h2>
    <table id="what-ifs"><tr><th>kind</th><th>target</th><th>PLE exits</th><th>useful time</th><th>spin time</th></tr>${(
      a?.whatIfs ?? []
    )
      .map(
        (w) =>
          `<tr><td>${esc(w.kind)}</td><td>${esc(w.target)}</td><td class="num">${change(w.pleExits)}</td><td class="num">${change(w.usefulNs)}</td><td class="num">${change(w.spinNs)}</td></tr>`,
      )
      .join('')}</table>
    <h2>Recommendations</h2>
    <table id="recommendations">${RECS_HEAD}${recommendationRows((a?.recommendations ?? []).map((r) => ({ ...r, node: name })))}</table>`;
  const charts = view.querySelector<HTMLElement>('#charts')!;
  for (const chart of series.charts) draw(charts, chart);
}
