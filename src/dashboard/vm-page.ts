import { api } from './api.js';
import { drawChart, dropCharts, followRange, rangeOf, rangePicker } from './charts.js';
import { esc, findingValue, link, share } from './format.js';
import { findingsTable } from './node-page.js';
import { recommendationRows, RECS_HEAD } from './recommendations.js';
import type { Route } from './route.js';

/** "0-3,8,10-11" from [0,1,2,3,8,10,11]. */
function cpuList(cpus: number[]): string {
  const sorted = [...cpus].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** One VM (or KubeVirt VMI) on its node: vCPUs and their pinning, findings, history, what concerns it, how to move it. */
export async function renderVm(
  view: HTMLElement,
  nodeName: string,
  vmName: string,
  route: Route,
): Promise<void> {
  const minutes = rangeOf(route.query);
  const [node, series, recs] = await Promise.all([
    api.node(nodeName),
    api.series(nodeName, minutes),
    api.recommendations(),
  ]);
  const vm = node.inventory.vms.find((v) => v.name === vmName);
  if (!vm) throw new Error(`no VM "${vmName}" on ${nodeName}`);
  const m = node.analysis?.vms.find((x) => x.name === vmName);
  const findings = (node.analysis?.findings ?? []).filter((f) => f.vm === vmName);
  const concerning = recs.filter(
    (r) =>
      (r.node === nodeName || r.toNode === nodeName) &&
      (r.vm === vmName || r.target === vmName || r.summary.includes(vmName)),
  );
  const kv = vm.kubevirt;
  const hint =
    kv?.vmi && kv.namespace
      ? `<pre id="migrate-hint">virtctl migrate ${esc(kv.vmi)} -n ${esc(kv.namespace)}</pre>`
      : `<p class="muted" id="migrate-hint">not a KubeVirt VMI: move it with <code>virsh migrate --live ${esc(vmName)} qemu+ssh://&lt;target&gt;/system</code></p>`;
  dropCharts();
  view.dataset.page = 'vm';
  view.innerHTML = `
    <p class="crumbs"><a href="#/">fleet</a> › <a href="${link.node(nodeName)}">${esc(nodeName)}</a> › VM</p>
    <h2 id="title">${esc(vmName)}${kv?.vmi ? ` <small>VMI ${esc(kv.namespace ?? '')}/${esc(kv.vmi)}</small>` : ''}</h2>
    <p>on <a href="${link.node(nodeName)}">${esc(nodeName)}</a> · QEMU pid ${vm.pid} · ${vm.vcpus.length} vCPUs ·
      PLE exits ${m?.pleExitsPerVcpuSecond != null ? findingValue('ple-rate', m.pleExitsPerVcpuSecond) : '–'} ·
      spin ${share(m?.spinShare ?? null)} of run time · run-queue wait ${share(m?.waitShare ?? null)} ·
      PV directed yields switching <span id="yield-success">${share(m?.directedYieldSuccess ?? null)}</span></p>
    <h2>Move it</h2>
    ${hint}
    <h2>vCPUs</h2>
    <table id="vcpus"><tr><th>vCPU</th><th>thread</th><th>may run on pCPUs</th></tr>${vm.vcpus
      .map(
        (c) =>
          `<tr><td class="num">${c.index}</td><td class="num">${c.tid}</td><td>${esc(cpuList(c.affinity))}</td></tr>`,
      )
      .join('')}</table>
    <h2>Findings</h2>
    ${findingsTable(findings)}
    <h2>History ${rangePicker(minutes)}</h2>
    <div class="charts" id="charts"></div>
    <h2>Recommendations that concern it</h2>
    ${concerning.length ? `<table id="recommendations">${RECS_HEAD}${recommendationRows(concerning)}</table>` : '<p class="muted" id="no-recommendations">none</p>'}`;
  const charts = view.querySelector<HTMLElement>('#charts')!;
  // The node's per-VM charts, with only this VM's line.
  for (const chart of series.charts) {
    const lines = chart.lines.filter((l) => l.label === vmName);
    if (lines.length) drawChart(charts, { ...chart, lines });
  }
  followRange(view);
}
