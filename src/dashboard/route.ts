/** The page's place lives in the hash (`#/nodes/x?range=60`), so every link is relative and any path prefix works. */
export interface Route {
  path: string;
  query: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?', 2) as [string, string | undefined];
  return { path, query: new URLSearchParams(query ?? '') };
}

/** Records view state (search, sort, page) in the hash without a navigation or a re-render. */
export function replaceQuery(params: Record<string, string | number | undefined>): void {
  const { path, query } = currentRoute();
  for (const [k, v] of Object.entries(params))
    if (v === undefined || v === '') query.delete(k);
    else query.set(k, String(v));
  const text = query.toString();
  history.replaceState(null, '', `#${path}${text ? `?${text}` : ''}`);
}

/** A page-number control: "‹ prev · page 2 of 9 · next ›", as buttons. */
export function pager(id: string, page: number, pages: number): string {
  if (pages <= 1) return '';
  return `<nav class="pager" id="${id}" aria-label="pages">
    <button type="button" data-page="${page - 1}" ${page <= 1 ? 'disabled' : ''}>‹ previous</button>
    <span>page ${page} of ${pages}</span>
    <button type="button" data-page="${page + 1}" ${page >= pages ? 'disabled' : ''}>next ›</button></nav>`;
}

/** One page of items (pages count from 1; a page past the end shows the last). */
export function pageOf<T>(
  items: readonly T[],
  page: number,
  size: number,
): { items: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const p = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  return { items: items.slice((p - 1) * size, p * size), page: p, pages };
}

/** Paging by the pager's buttons: the page number goes into the hash and the page is drawn again. */
export function followPager(view: HTMLElement, id: string): void {
  view.querySelector(`#${id}`)?.addEventListener('click', (e) => {
    const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-page]');
    if (!button) return;
    replaceQuery({ page: button.dataset.page });
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  });
}
