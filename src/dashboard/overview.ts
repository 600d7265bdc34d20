import { api, type NodeSummary, type Recommendation } from './api.js';
import { badge, change, esc, time } from './format.js';

const ORDER = { critical: 0, warning: 1, info: 2, ok: 3 } as const;

/** Tiles for every node, worst first; one string, one DOM write, so 1,000 nodes stay fast. */
function heatmap(nodes: NodeSummary[], filter: string): string {
  const shown = nodes
    .filter((n) => n.name.includes(filter))
    .sort(
      (a, b) =>
        ORDER[a.severity] - ORDER[b.severity] ||
        b.oversubscription - a.oversubscription ||
        a.name.localeCompare(b.name),
    );
  return shown
    .map(
      (n) =>
        `<a class="tile sev-${esc(n.severity)}" href="#/nodes/${encodeURIComponent(n.name)}" data-node="${esc(n.name)}" data-severity="${esc(n.severity)}" title="${esc(`${n.name}: ${n.severity}, ${n.oversubscription} vCPUs/pCPU, ${n.kernel} (${n.model})`)}"><b>${esc(n.name)}</b>${esc(n.oversubscription)}:1 · ${esc(n.model)}</a>`,
    )
    .join('');
}

export function recommendationRows(recs: Recommendation[]): string {
  return recs
    .map(
      (r) => `<tr class="recommendation" data-node="${esc(r.node)}" data-kind="${esc(r.kind)}">
        <td><a href="#/nodes/${encodeURIComponent(r.node)}">${esc(r.node)}</a></td><td>${esc(r.kind)}</td>
        <td><details><summary>${esc(r.summary)}</summary><ul>${r.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>${
          r.brokenAssumptions.length
            ? `<p class="muted">breaks: ${r.brokenAssumptions.map(esc).join('; ')}</p>`
            : ''
        }</details></td>
        <td class="num">${change(r.predicted.pleExits)}</td><td class="num">${change(r.predicted.usefulNs)}</td>
        <td class="num">${r.confidence.toFixed(2)}</td></tr>`,
    )
    .join('');
}

const RECS_HEAD =
  '<tr><th>node</th><th>kind</th><th>what (click for evidence)</th><th>PLE exits</th><th>useful time</th><th>confidence</th></tr>';

/** The cluster at a glance: severity counts, the heat map, recommendations and alert history. */
export async function renderOverview(view: HTMLElement, state: { filter: string }): Promise<void> {
  const [nodes, recs, alerts] = await Promise.all([api.nodes(), api.recommendations(), api.alerts()]);
  const count = (s: string) => nodes.filter((n) => n.severity === s).length;
  const top = [...recs]
    .sort((a, b) => a.predicted.pleExits.change - b.predicted.pleExits.change)
    .slice(0, 100);
  view.innerHTML = `
    <section class="summary">
      <div>${nodes.length}<small>nodes</small></div>
      <div>${count('critical')}<small>critical</small></div>
      <div>${count('warning')}<small>warning</small></div>
      <div>${recs.length}<small>recommendations</small></div>
      <div>${alerts.filter((a) => a.transition === 'raised').length}<small>alerts raised</small></div>
    </section>
    <h2>Nodes <input type="search" id="filter" placeholder="filter by name" value="${esc(state.filter)}" /></h2>
    <div class="heatmap" id="heatmap">${heatmap(nodes, state.filter)}</div>
    <h2>Recommendations</h2>
    <table id="recommendations">${RECS_HEAD}${recommendationRows(top)}</table>
    ${top.length === 0 ? '<p class="muted" id="no-recommendations">none yet</p>' : ''}
    <h2>Alert history</h2>
    <table id="alerts"><tr><th>when</th><th>node</th><th></th><th>finding</th></tr>${alerts
      .slice(0, 50)
      .map(
        (a) =>
          `<tr class="alert"><td>${time(a.atMs)}</td><td><a href="#/nodes/${encodeURIComponent(a.node)}">${esc(a.node)}</a></td><td>${esc(a.transition)}</td><td>${badge(a.finding.severity)} ${esc(a.finding.message)}</td></tr>`,
      )
      .join('')}</table>`;
  const filter = view.querySelector<HTMLInputElement>('#filter')!;
  filter.addEventListener('input', () => {
    state.filter = filter.value;
    view.querySelector('#heatmap')!.innerHTML = heatmap(nodes, state.filter);
  });
}

export { RECS_HEAD };
