import { api } from './api.js';
import { esc } from './format.js';
import { byGain, recommendationRows, RECS_HEAD } from './recommendations.js';
import { followPager, pageOf, pager, type Route } from './route.js';

const PER_PAGE = 50;

/**
 * Every recommendation in the fleet, cheapest action first (gain per disruption), in pages; the
 * links above the table keep one kind of action (`?kind=vm-setting`).
 */
export async function renderRecommendations(view: HTMLElement, route: Route): Promise<void> {
  const all = [...(await api.recommendations())].sort(byGain);
  const kind = route.query.get('kind');
  const recs = kind ? all.filter((r) => r.kind === kind) : all;
  const counts = new Map<string, number>();
  for (const r of all) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
  const kindLink = (k: string | null, label: string) =>
    k === kind
      ? `<strong>${esc(label)}</strong>`
      : `<a href="#/recommendations${k ? `?kind=${encodeURIComponent(k)}` : ''}">${esc(label)}</a>`;
  const page = pageOf(recs, Number(route.query.get('page')) || 1, PER_PAGE);
  view.dataset.page = 'recommendations';
  view.innerHTML = `
    <p class="crumbs"><a href="#/">fleet</a> › recommendations</p>
    <h2>Recommendations (${recs.length})</h2>
    <p id="rec-kinds">${[kindLink(null, `all (${all.length})`), ...[...counts].sort().map(([k, n]) => kindLink(k, `${k} (${n})`))].join(' · ')}</p>
    <p class="muted">Cheapest action first: predicted gain per disruption. The objective is spin time; a change is coloured when its 95 % interval excludes zero. Open a row for how to apply it.</p>
    <table id="recommendations">${RECS_HEAD}${recommendationRows(page.items)}</table>
    ${pager('recs-pager', page.page, page.pages)}`;
  followPager(view, 'recs-pager');
}
