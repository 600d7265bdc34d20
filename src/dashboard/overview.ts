import { api, type NodeSummary } from './api.js';
import { age, badge, esc, findingValue, link, ratio, share, time } from './format.js';
import { isSortKey, matches, matchingVms, sortNodes, SORTS, type SortKey } from './fleet.js';
import { byGain, recommendationRows, RECS_HEAD } from './recommendations.js';
import { pageOf, pager, replaceQuery, type Route } from './route.js';

const TILES_PER_PAGE = 120;
const ROWS_PER_PAGE = 50;

interface FleetState {
  q: string;
  sort: SortKey;
  view: 'tiles' | 'list';
  page: number;
}

function stateOf(route: Route): FleetState {
  const sort = route.query.get('sort');
  return {
    q: route.query.get('q') ?? '',
    sort: isSortKey(sort) ? sort : 'severity',
    view: route.query.get('view') === 'list' ? 'list' : 'tiles',
    page: Number(route.query.get('page')) || 1,
  };
}

function agentCell(n: NodeSummary): string {
  const a = n.agent;
  const missing = a.missing.length
    ? ` <span class="missing" title="${esc(a.missing.map((m) => `${m.signal}: ${m.reason}`).join('\n'))}">${a.missing.length} signal${a.missing.length > 1 ? 's' : ''} missing</span>`
    : '';
  return `${a.stale ? '<span class="stale">stale</span> ' : ''}${age(a.lastSampleAgeMs)} ago${a.gaps ? `, ${a.gaps} gaps` : ''}${missing}`;
}

function tiles(nodes: NodeSummary[], q: string): string {
  return nodes
    .map((n) => {
      const vms = matchingVms(n, q);
      return `<a class="tile sev-${esc(n.severity)}${n.agent.stale ? ' is-stale' : ''}" href="${link.node(n.name)}" data-node="${esc(n.name)}" data-severity="${esc(n.severity)}" title="${esc(`${n.name}: ${n.severity}, ${ratio(n.oversubscription)} vCPUs per pCPU, ${n.kernel} (${n.model}), last sample ${age(n.agent.lastSampleAgeMs)} ago`)}"><b>${esc(n.name)}</b>${esc(ratio(n.oversubscription))} · spin ${share(n.spinShare)}${n.agent.stale ? ' · stale' : ''}${vms.length ? `<small>${esc(vms.join(', '))}</small>` : ''}</a>`;
    })
    .join('');
}

function rows(nodes: NodeSummary[], q: string): string {
  return `<table id="node-list"><tr><th>node</th><th>severity</th><th>vCPUs/pCPU</th><th>worst spin</th><th>kernel (model)</th><th>VMs</th><th>agent</th></tr>${nodes
    .map((n) => {
      const vms = matchingVms(n, q);
      return `<tr class="node-row" data-node="${esc(n.name)}" data-severity="${esc(n.severity)}"><td><a href="${link.node(n.name)}">${esc(n.name)}</a></td><td>${badge(n.severity)}</td><td class="num">${esc(ratio(n.oversubscription))}</td><td class="num">${share(n.spinShare)}</td><td>${esc(n.kernel)} (${esc(n.model)})</td><td>${n.vms.length}${vms.length ? `: ${esc(vms.join(', '))}` : ''}</td><td>${agentCell(n)}</td></tr>`;
    })
    .join('')}</table>`;
}

/** The filtered, sorted page of the fleet; only this part is redrawn while the reader types. */
function fleet(nodes: NodeSummary[], s: FleetState): string {
  const shown = sortNodes(
    nodes.filter((n) => matches(n, s.q)),
    s.sort,
  );
  const page = pageOf(shown, s.page, s.view === 'tiles' ? TILES_PER_PAGE : ROWS_PER_PAGE);
  s.page = page.page;
  return `<p class="muted" id="fleet-count" data-shown="${shown.length}">${shown.length} of ${nodes.length} nodes${s.q ? ` match “${esc(s.q)}”` : ''}</p>
    ${s.view === 'tiles' ? `<div class="heatmap" id="heatmap">${tiles(page.items, s.q)}</div>` : rows(page.items, s.q)}
    ${pager('fleet-pager', page.page, page.pages)}`;
}

let state: FleetState | null = null;
let nodesNow: NodeSummary[] = [];

/** The fleet at a glance: counts, a searchable, sortable, paged node wall or list, the best recommendations, active alerts. */
export async function renderOverview(view: HTMLElement, route: Route): Promise<void> {
  const [nodes, recs, active] = await Promise.all([api.nodes(), api.recommendations(), api.activeAlerts()]);
  nodesNow = nodes;
  const mounted = view.dataset.page === 'overview';
  if (!mounted || !state) state = stateOf(route);
  const s = state;
  const count = (sev: string) => nodes.filter((n) => n.severity === sev).length;
  const stale = nodes.filter((n) => n.agent.stale).length;
  const top = [...recs].sort(byGain).slice(0, 10);
  const summary = `
      <div>${nodes.length}<small>nodes</small></div>
      <div class="c-critical">${count('critical')}<small>critical</small></div>
      <div class="c-warning">${count('warning')}<small>warning</small></div>
      <div id="stale-count" data-count="${stale}">${stale}<small>stale agents</small></div>
      <a href="#/alerts" id="active-count" data-count="${active.length}">${active.length}<small>active alerts</small></a>
      <a href="#/recommendations">${recs.length}<small>recommendations</small></a>`;
  const alerts = active.length
    ? `<table id="active-alerts"><tr><th>since</th><th>node</th><th>finding</th><th>value</th><th>VMs</th></tr>${active
        .slice(0, 10)
        .map(
          (a) =>
            `<tr class="active-alert" data-node="${esc(a.node)}"><td>${time(a.sinceMs)}</td><td><a href="${link.node(a.node)}">${esc(a.node)}</a></td><td>${badge(a.finding.severity)} ${esc(a.finding.kind)}</td><td class="num">${findingValue(a.finding.kind, a.finding.value)}</td><td>${esc(a.vms.join(', '))}</td></tr>`,
        )
        .join(
          '',
        )}</table>${active.length > 10 ? `<p><a href="#/alerts">all ${active.length} active alerts</a></p>` : ''}`
    : '<p class="muted" id="no-active-alerts">no alert is active</p>';
  const recommendations = `<table id="recommendations">${RECS_HEAD}${recommendationRows(top)}</table>
    ${top.length === 0 ? '<p class="muted" id="no-recommendations">none yet</p>' : recs.length > top.length ? `<p><a href="#/recommendations">all ${recs.length} recommendations</a></p>` : ''}`;

  if (mounted) {
    // A live update: redraw the data, keep the controls (and the reader's focus and typing).
    view.querySelector('#summary')!.innerHTML = summary;
    view.querySelector('#fleet')!.innerHTML = fleet(nodes, s);
    view.querySelector('#alerts-now')!.innerHTML = alerts;
    view.querySelector('#top-recommendations')!.innerHTML = recommendations;
    return;
  }
  view.dataset.page = 'overview';
  view.innerHTML = `
    <section class="summary" id="summary">${summary}</section>
    <h2 id="nodes-heading">Nodes</h2>
    <div class="controls">
      <input type="search" id="filter" aria-label="search nodes, VMs, namespaces, VMIs" placeholder="search nodes, VMs, namespaces, VMIs  ( / )" value="${esc(s.q)}" />
      <label>sort <select id="sort">${Object.entries(SORTS)
        .map(([k, label]) => `<option value="${k}" ${k === s.sort ? 'selected' : ''}>${label}</option>`)
        .join('')}</select></label>
      <span class="toggle" role="group" aria-label="view">
        <button type="button" id="view-tiles" aria-pressed="${s.view === 'tiles'}">tiles</button>
        <button type="button" id="view-list" aria-pressed="${s.view === 'list'}">list</button>
      </span>
    </div>
    <div id="fleet">${fleet(nodes, s)}</div>
    <h2>Active alerts</h2>
    <div id="alerts-now">${alerts}</div>
    <h2>Recommendations</h2>
    <div id="top-recommendations">${recommendations}</div>`;

  const redraw = () => {
    view.querySelector('#fleet')!.innerHTML = fleet(nodesNow, s);
    replaceQuery({
      q: s.q,
      sort: s.sort === 'severity' ? undefined : s.sort,
      view: s.view === 'tiles' ? undefined : s.view,
      page: s.page > 1 ? s.page : undefined,
    });
  };
  const filter = view.querySelector<HTMLInputElement>('#filter')!;
  filter.addEventListener('input', () => {
    s.q = filter.value;
    s.page = 1;
    redraw();
  });
  filter.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      filter.value = '';
      s.q = '';
      redraw();
    }
  });
  view.querySelector<HTMLSelectElement>('#sort')!.addEventListener('change', (e) => {
    s.sort = (e.target as HTMLSelectElement).value as SortKey;
    s.page = 1;
    redraw();
  });
  for (const v of ['tiles', 'list'] as const)
    view.querySelector(`#view-${v}`)!.addEventListener('click', () => {
      s.view = v;
      s.page = 1;
      view.querySelector('#view-tiles')!.setAttribute('aria-pressed', String(v === 'tiles'));
      view.querySelector('#view-list')!.setAttribute('aria-pressed', String(v === 'list'));
      redraw();
    });
  view.querySelector('#fleet')!.addEventListener('click', (e) => {
    const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-page]');
    if (!button) return;
    s.page = Number(button.dataset.page);
    redraw();
    view.querySelector<HTMLElement>('#nodes-heading')!.scrollIntoView();
  });
}
