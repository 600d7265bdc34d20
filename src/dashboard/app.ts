import { renderNode } from './node-page.js';
import { renderOverview } from './overview.js';

const view = document.getElementById('view')!;
const state = { filter: '' };
let rendering = false;
let again = false;

/** Renders the page the hash names: #/ (overview) or #/nodes/<name>. */
async function render(): Promise<void> {
  if (rendering) {
    again = true;
    return;
  }
  rendering = true;
  try {
    const node = /^#\/nodes\/(.+)$/.exec(location.hash)?.[1];
    const open = new Set([...view.querySelectorAll('details[open] summary')].map((s) => s.textContent));
    if (node) await renderNode(view, decodeURIComponent(node));
    else await renderOverview(view, state);
    // Keep what the reader had expanded across live updates.
    for (const s of view.querySelectorAll('details summary'))
      if (open.has(s.textContent)) s.parentElement!.setAttribute('open', '');
    document.body.dataset.rendered = String(Number(document.body.dataset.rendered ?? 0) + 1);
  } catch (err) {
    view.innerHTML = `<p class="muted">${String((err as Error).message)}</p>`;
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
  const events = new EventSource('/api/events');
  let timer: number | undefined;
  const refresh = () => {
    timer ??= window.setTimeout(() => {
      timer = undefined;
      void render();
    }, 1_000);
  };
  for (const type of ['analysis', 'alert', 'plan']) events.addEventListener(type, refresh);
  events.onopen = () => dot.classList.add('on');
  events.onerror = () => dot.classList.remove('on');
}

window.addEventListener('hashchange', () => void render());
void render();
listen();
