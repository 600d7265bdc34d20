import { agentHealthSection } from './agent-health.js';
import { api } from './api.js';
import { drawChart, dropCharts, followRange, rangeOf, rangePicker } from './charts.js';
import { badge, changeCell, esc, findingValue, link, ratio, share, time } from './format.js';
import { recommendationRows, RECS_HEAD } from './recommendations.js';
import type { Route } from './route.js';

/** One node: state, agent health, charts over a chosen range, VMs, findings, what-ifs and recommendations. */
export async function renderNode(view: HTMLElement, name: string, route: Route): Promise<void> {
  const minutes = rangeOf(route.query);
  const [node, series] = await Promise.all([api.node(name), api.series(name, minutes)]);
  const a = node.analysis;
  // What was observed comes from the newest window (its findings are out the moment it closes);
  // the predictions may lag behind when the models are busy, and say by how much.
  const seen = node.findings && (!a || node.findings.windowEndMs >= a.windowEndMs) ? node.findings : a;
  const lagS = a && seen ? Math.round((seen.windowEndMs - a.windowEndMs) / 1000) : 0;
  const vcpus = node.inventory.vms.reduce((s, vm) => s + vm.vcpus.length, 0);
  dropCharts();
  view.dataset.page = 'node';
  view.innerHTML = `
    <p class="crumbs"><a href="#/">fleet</a> › node</p>
    <h2 id="title">${esc(name)} ${seen ? badge(seen.severity) : ''}</h2>
    <p>${esc(node.inventory.kernel)} (${esc(node.inventory.scheduler)}, ${esc(node.inventory.cpuVendor)}) · model ${esc(a?.model ?? 'not analysed yet')} ·
      ${vcpus} vCPUs on ${node.inventory.pcpus} pCPUs (${ratio(vcpus / node.inventory.pcpus)})
      ${seen ? `· window ${time(seen.windowStartMs)} – ${time(seen.windowEndMs)} (${seen.samples} samples)` : ''}
      ${a ? `· fit residual ${share(a.residual)}` : ''}
      · <span id="owner">analysed by replica ${esc(node.owner)}</span></p>
    <h2>Agent</h2>
    ${agentHealthSection(node.agent)}
    <h2>History ${rangePicker(minutes)}</h2>
    <div class="charts" id="charts"></div>
    <h2>VMs</h2>
    <table id="vms"><tr><th>VM</th><th>KubeVirt</th><th>vCPUs</th><th>PLE exits</th><th>spin share</th><th>run-queue wait</th></tr>${node.inventory.vms
      .map((vm) => {
        const m = seen?.vms.find((x) => x.name === vm.name);
        return `<tr data-vm="${esc(vm.name)}"><td><a href="${link.vm(name, vm.name)}">${esc(vm.name)}</a></td><td>${vm.kubevirt?.vmi ? esc(`${vm.kubevirt.namespace ?? ''}/${vm.kubevirt.vmi}`) : '–'}</td><td class="num">${vm.vcpus.length}</td><td class="num">${m?.pleExitsPerVcpuSecond != null ? findingValue('ple-rate', m.pleExitsPerVcpuSecond) : '–'}</td><td class="num">${share(m?.spinShare ?? null)}</td><td class="num">${share(m?.waitShare ?? null)}</td></tr>`;
      })
      .join('')}</table>
    <h2>Findings</h2>
    ${findingsTable(seen?.findings ?? [])}
    <h2>Observed vs predicted: every what-if replayed on the fitted workload</h2>
    ${lagS > 0 ? `<p class="muted" id="prediction-age">predictions from the window ending ${time(a!.windowEndMs)}, ${lagS} s before the newest findings: the models are catching up</p>` : ''}
    ${a?.modelFittedToMs !== undefined ? `<p class="muted" id="model-age">model fitted to the window ending ${time(a.modelFittedToMs)} and kept since: the load has stayed within its resolution</p>` : ''}
    <table id="what-ifs"><tr><th>kind</th><th>target</th><th>spin time</th><th>PLE exits</th><th>useful time</th></tr>${(
      a?.whatIfs ?? []
    )
      .map(
        (w) =>
          `<tr><td>${esc(w.kind)}</td><td title="${esc(w.summary ?? '')}">${esc(w.target)}</td>${changeCell(w.spinNs, true)}${changeCell(w.pleExits, true)}${changeCell(w.usefulNs, false)}</tr>`,
      )
      .join('')}</table>
    <h2>Recommendations</h2>
    <table id="recommendations">${RECS_HEAD}${recommendationRows((a?.recommendations ?? []).map((r) => ({ ...r, node: name })))}</table>`;
  const charts = view.querySelector<HTMLElement>('#charts')!;
  for (const chart of series.charts) drawChart(charts, chart);
  followRange(view);
}

export function findingsTable(
  findings: {
    kind: string;
    vm?: string;
    severity: string;
    value: number;
    threshold: number;
    message: string;
  }[],
): string {
  if (findings.length === 0) return '<p class="muted" id="no-findings">no finding over its threshold</p>';
  return `<table id="findings"><tr><th>severity</th><th>kind</th><th>VM</th><th>value</th><th>threshold</th></tr>${findings
    .map(
      (f) =>
        `<tr><td>${badge(f.severity)}</td><td>${esc(f.kind)}</td><td>${esc(f.vm ?? '–')}</td><td class="num">${findingValue(f.kind, f.value)}</td><td class="num">${findingValue(f.kind, f.threshold)}</td></tr>`,
    )
    .join('')}</table>`;
}
