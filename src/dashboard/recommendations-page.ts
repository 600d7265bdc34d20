import { api } from './api.js';
import { byGain, recommendationRows, RECS_HEAD } from './recommendations.js';
import { followPager, pageOf, pager, type Route } from './route.js';

const PER_PAGE = 50;

/** Every recommendation in the fleet, the largest predicted cut in spin time first, in pages. */
export async function renderRecommendations(view: HTMLElement, route: Route): Promise<void> {
  const recs = [...(await api.recommendations())].sort(byGain);
  const page = pageOf(recs, Number(route.query.get('page')) || 1, PER_PAGE);
  view.dataset.page = 'recommendations';
  view.innerHTML = `
    <p class="crumbs"><a href="#/">fleet</a> › recommendations</p>
    <h2>Recommendations (${recs.length})</h2>
    <p class="muted">The objective is spin time; a change is coloured when its 95 % interval excludes zero.</p>
    <table id="recommendations">${RECS_HEAD}${recommendationRows(page.items)}</table>
    ${pager('recs-pager', page.page, page.pages)}`;
  followPager(view, 'recs-pager');
}
