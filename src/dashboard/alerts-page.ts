import { api } from './api.js';
import { age, badge, esc, findingValue, link, time } from './format.js';
import { followPager, pageOf, pager, type Route } from './route.js';

const PER_PAGE = 50;

/** Alerts active now, then the whole history (raised and cleared), newest first, in pages. */
export async function renderAlerts(view: HTMLElement, route: Route): Promise<void> {
  const [active, history] = await Promise.all([api.activeAlerts(), api.alerts()]);
  const page = pageOf(history, Number(route.query.get('page')) || 1, PER_PAGE);
  const now = Date.now();
  view.dataset.page = 'alerts';
  view.innerHTML = `
    <p class="crumbs"><a href="#/">fleet</a> › alerts</p>
    <h2>Active now (${active.length})</h2>
    ${
      active.length
        ? `<table id="active-alerts"><tr><th>since</th><th>node</th><th>finding</th><th>value</th><th>threshold</th><th>VMs</th></tr>${active
            .map(
              (a) =>
                `<tr class="active-alert" data-node="${esc(a.node)}"><td>${time(a.sinceMs)} <span class="muted">(${age(now - a.sinceMs)})</span></td><td><a href="${link.node(a.node)}">${esc(a.node)}</a></td><td>${badge(a.finding.severity)} ${esc(a.finding.kind)}</td><td class="num">${findingValue(a.finding.kind, a.finding.value)}</td><td class="num">${findingValue(a.finding.kind, a.finding.threshold)}</td><td>${a.vms.map((vm) => `<a href="${link.vm(a.node, vm)}">${esc(vm)}</a>`).join(', ')}</td></tr>`,
            )
            .join('')}</table>`
        : '<p class="muted" id="no-active-alerts">no alert is active</p>'
    }
    <h2>History (${history.length})</h2>
    <table id="alert-history"><tr><th>when</th><th>node</th><th></th><th>finding</th><th>value</th></tr>${page.items
      .map(
        (a) =>
          `<tr class="alert"><td>${time(a.atMs)}</td><td><a href="${link.node(a.node)}">${esc(a.node)}</a></td><td>${esc(a.transition)}</td><td>${badge(a.finding.severity)} ${esc(a.finding.kind)} ${esc(a.vms.join(', '))}</td><td class="num">${findingValue(a.finding.kind, a.finding.value)}</td></tr>`,
      )
      .join('')}</table>
    ${pager('history-pager', page.page, page.pages)}`;
  followPager(view, 'history-pager');
}
