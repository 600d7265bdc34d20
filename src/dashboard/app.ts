import { renderAlerts } from './alerts-page.js';
import { dropCharts } from './charts.js';
import { esc, zoneLabel } from './format.js';
import { renderNode } from './node-page.js';
import { renderOverview } from './overview.js';
import { renderRecommendations } from './recommendations-page.js';
import { currentRoute, type Route } from './route.js';
import { renderVm } from './vm-page.js';

const view = document.getElementById('view')!;
let rendering = false;
let again = false;

type Page = (view: HTMLElement, route: Route, ...names: string[]) => Promise<void>;
const ROUTES: [RegExp, Page][] = [
  [/^\/nodes\/([^/]+)\/vms\/([^/]+)$/, (v, r, node, vm) => renderVm(v, node, vm, r)],
  [/^\/nodes\/([^/]+)$/, (v, r, node) => renderNode(v, node, r)],
  [/^\/alerts$/, (v, r) => renderAlerts(v, r)],
  [/^\/recommendations$/, (v, r) => renderRecommendations(v, r)],
  [/^\/?$/, (v, r) => renderOverview(v, r)],
];

/** Renders the page the hash names; a live update of the same page keeps what the reader had open. */
async function render(): Promise<void> {
  if (rendering) {
    again = true;
    return;
  }
  rendering = true;
  try {
    const route = currentRoute();
    const match = ROUTES.map(([re, page]) => [re.exec(route.path), page] as const).find(([m]) => m);
    const open = new Set([...view.querySelectorAll('details[open] summary')].map((s) => s.textContent));
    const key = route.path;
    if (view.dataset.route !== key) {
      // A new page: forget the old one's mounted state and plots.
      delete view.dataset.page;
      dropCharts();
      view.dataset.route = key;
    }
    if (!match) throw new Error(`no page at #${route.path}`);
    const [m, page] = match;
    await page(view, route, ...m!.slice(1).map((s) => decodeURIComponent(s)));
    for (const s of view.querySelectorAll('details summary'))
      if (open.has(s.textContent)) s.parentElement!.setAttribute('open', '');
    document.body.dataset.rendered = String(Number(document.body.dataset.rendered ?? 0) + 1);
  } catch (err) {
    delete view.dataset.page;
    view.innerHTML = `<p class="crumbs"><a href="#/">fleet</a></p><p class="muted" id="error">${esc((err as Error).message)}</p>`;
  } finally {
    rendering = false;
    if (again) {
      again = false;
      void render();
    }
  }
}

/** Live updates: every analysis, alert or plan re-renders the page in place, at most once a second. */
function listen(): void {
  const dot = document.getElementById('live')!;
  const events = new EventSource('api/events');
  let timer: number | undefined;
  const refresh = () => {
    timer ??= window.setTimeout(() => {
      timer = undefined;
      void render();
    }, 1_000);
  };
  for (const type of ['analysis', 'alert', 'plan']) events.addEventListener(type, refresh);
  events.onopen = () => {
    dot.classList.add('on');
    dot.title = 'live updates: connected';
  };
  events.onerror = () => {
    dot.classList.remove('on');
    dot.title = 'live updates: reconnecting';
  };
}

/** "/" jumps to the search box, as on most sites operators use. */
document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement;
  if (e.key !== '/' || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) return;
  const search = document.getElementById('filter');
  if (!search) return;
  e.preventDefault();
  search.focus();
});

document.getElementById('zone')!.textContent = `times in ${zoneLabel()}`;
window.addEventListener('hashchange', () => void render());
void render();
listen();
