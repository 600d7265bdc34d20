import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Demo } from '../../src/demo/demo';
import { startFastDemo } from '../support/fast-demo';
import { startPrefixProxy } from '../support/prefix-proxy';
import { syntheticFleet } from '../support/synthetic-fleet';

/** Screenshots of each page, kept as test artifacts. */
const ARTIFACTS = join(__dirname, '..', '..', '..', 'test-results');

/** Debian's Chromium, headless, with the flags that keep it off the (closed) network. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** WCAG contrast ratio of two CSS rgb() colours. */
function contrast(a: string, b: string): number {
  const lum = (css: string) => {
    const [r, g, bl] = css
      .match(/[\d.]+/g)!
      .slice(0, 3)
      .map(Number) as [number, number, number];
    const lin = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(bl);
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const tileNames = (page: Page) =>
  page.$$eval('.tile', (els) => els.map((e) => (e as HTMLElement).dataset.node));

describe('ops dashboard in headless Chromium against spinwise demo', () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    demo = await startFastDemo();
    browser = await chromium.launch({
      executablePath: process.env.SPINWISE_CHROMIUM ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    });
    page = await browser.newPage({ viewport: { width: 1300, height: 1000 }, timezoneId: 'Europe/Berlin' });
    page.on('pageerror', (e) => errors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('shows a recommendation that appears after the page loaded, without a reload', async () => {
    // The page loads as it does before the advisor's first prediction: its first request for
    // recommendations gets none. (Left to the race, the demo's models may have answered before
    // Chromium is up.) Every later request — each on an event from the advisor — gets what it has.
    let loading = true;
    await page.route('**/api/recommendations', (route) => {
      if (!loading) return route.continue();
      loading = false;
      return route.fulfill({ status: 200, contentType: 'application/json', body: '[]' });
    });
    await page.goto(`${demo.url}/`);
    await page.waitForSelector('#top-recommendations');
    await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
    assert.equal(
      await page.locator('tr.recommendation').count(),
      0,
      'no recommendation when the page loaded',
    );
    await page.waitForSelector('tr.recommendation[data-node="demo-paper-1"][data-kind="kernel"]', {
      timeout: 90_000,
    });
    await page.unroute('**/api/recommendations');
    assert.equal(
      await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce),
      true,
      'same page, not reloaded',
    );
    // The objective (spin time) is shown next to PLE exits and useful time, formatted.
    const cells = await page
      .locator('tr.recommendation[data-node="demo-paper-1"][data-kind="kernel"] td.num')
      .allInnerTexts();
    assert.match(cells[0]!, /^−\d+ % ± \d+$/, `spin time cell "${cells[0]}"`);
    assert.match(await page.locator('#recommendations th').nth(4).innerText(), /spin time/i);
    // One kind of action at a time, with what it disrupts and how to apply it on KubeVirt.
    await page.goto(`${demo.url}/#/recommendations?kind=vm-setting`);
    // Scoped to the recommendations page: until the hash route renders it, the overview's own
    // top-recommendation rows (of every kind) are still on screen.
    const onPage = '[data-page="recommendations"]';
    await page.waitForSelector(`${onPage} tr.recommendation[data-kind="vm-setting"]`, { timeout: 90_000 });
    assert.equal(await page.locator(`${onPage} tr.recommendation:not([data-kind="vm-setting"])`).count(), 0);
    const setting = page.locator(`${onPage} tr.recommendation[data-kind="vm-setting"]`).first();
    assert.equal(await setting.locator('td.disruption').innerText(), 'vm-restart');
    assert.match(
      (await setting.locator('dl.apply').textContent()) ?? '',
      /^kubevirtset spec\.domain\.cpu\.model: host-passthrough/,
      'KubeVirt first',
    );
    await page.goto(`${demo.url}/`);
  });

  it('lists every node of the demo with its severity, full names, and times in a named local zone', async () => {
    await page.waitForFunction(
      () => document.querySelectorAll('.tile[data-severity="critical"]').length >= 1,
      undefined,
      {
        timeout: 60_000,
      },
    );
    const tiles = await page.$$eval('.tile', (els) =>
      els.map((e) => [(e as HTMLElement).dataset.node, (e as HTMLElement).dataset.severity]),
    );
    const byNode = Object.fromEntries(tiles);
    assert.deepEqual(Object.keys(byNode).sort(), demo.nodeNames.slice().sort());
    assert.equal(byNode['demo-paper-1'], 'critical');
    assert.equal(byNode['demo-undercommitted-3'], 'ok');
    // A tile shows its whole name, never cut off with an ellipsis.
    for (const name of demo.nodeNames) {
      const shown = await page.locator(`.tile[data-node="${name}"] b`).innerText();
      assert.equal(shown, name);
    }
    assert.match(await page.locator('#zone').innerText(), /times in Europe\/Berlin \(UTC\+0[12]:00\)/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });
  });

  it('searches across nodes and VMs, and sorts', async () => {
    await page.fill('#filter', 'web-2');
    await page.waitForFunction(
      () => document.querySelector('#fleet-count')?.getAttribute('data-shown') === '1',
    );
    assert.deepEqual(await tileNames(page), ['demo-mixed-2'], 'the node that runs VM web-2');
    assert.match(await page.locator('.tile small').innerText(), /web-2/, 'the tile says which VM matched');
    await page.fill('#filter', '');
    await page.waitForFunction(
      () => document.querySelector('#fleet-count')?.getAttribute('data-shown') === '3',
    );
    await page.selectOption('#sort', 'name');
    assert.deepEqual(await tileNames(page), ['demo-mixed-2', 'demo-paper-1', 'demo-undercommitted-3']);
    await page.selectOption('#sort', 'oversubscription');
    assert.deepEqual(await tileNames(page), ['demo-paper-1', 'demo-mixed-2', 'demo-undercommitted-3']);
    assert.match(page.url(), /sort=oversubscription/, 'the view is in the URL, so it can be shared');
    await page.click('#view-list');
    assert.equal(await page.locator('tr.node-row').count(), 3);
    await page.selectOption('#sort', 'severity');
  });

  it('a node page draws its charts with data and shows its agent’s health and formatted findings', async () => {
    await page.click('a[href="#/nodes/demo-paper-1"]');
    await page.waitForFunction(
      () => {
        const charts = [...document.querySelectorAll<HTMLElement>('.chart')];
        return (
          charts.length === 4 &&
          charts.every((c) => Number(c.dataset.points) > 0 && c.querySelector('canvas'))
        );
      },
      undefined,
      { timeout: 60_000 },
    );
    assert.match(await page.locator('h2').first().innerText(), /demo-paper-1\s+critical/);
    assert.ok((await page.locator('#what-ifs tr').count()) > 1, 'what-ifs listed');
    const health = await page.locator('#agent-health').innerText();
    assert.match(health, /last sample \d+ (ms|s) ago/);
    assert.match(
      health,
      /qmpStats\s+no QMP monitor on the command line \(-qmp unix:PATH\) and no --qmp-socket-dir: vm-0, vm-1, vm-2 and 1 more/,
      'a missing signal with its reason',
    );
    const values = await page.locator('#findings td.num').allInnerTexts();
    assert.ok(values.length > 0);
    for (const v of values) assert.match(v, /^[\d,.]+ (%|exits\/vCPU·s)$/, `formatted with its unit: "${v}"`);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-node.png'), fullPage: true });
  });

  it('charts follow the chosen time range and the window’s width', async () => {
    const request = page.waitForRequest((r) => r.url().includes('/series?minutes=15'));
    await page.selectOption('#range', '15');
    await request;
    assert.match(page.url(), /range=15/);
    await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length === 4);
    const wide = await page
      .locator('.chart canvas')
      .first()
      .evaluate((c) => (c as HTMLCanvasElement).clientWidth);
    await page.setViewportSize({ width: 700, height: 1000 });
    await page.waitForFunction(
      (w) => (document.querySelector('.chart canvas') as HTMLCanvasElement).clientWidth !== w,
      wide,
    );
    const narrow = await page
      .locator('.chart canvas')
      .first()
      .evaluate((c) => (c as HTMLCanvasElement).clientWidth);
    assert.ok(narrow < 700 && narrow !== wide, `chart resized from ${wide} to ${narrow} px`);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-node-narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1300, height: 1000 });
  });

  it('a VM page shows its vCPUs, findings, history and how to move it', async () => {
    await page.click('#vms a[href$="/vms/vm-1"]');
    await page.waitForSelector('#vcpus');
    assert.match(await page.locator('#title').innerText(), /^vm-1/);
    assert.equal(await page.locator('#vcpus tr').count(), 1 + 8, 'eight vCPUs');
    assert.match(await page.locator('#vcpus tr').nth(1).innerText(), /0\s+\d+\s+0-7/);
    assert.match(await page.locator('#migrate-hint').innerText(), /virsh migrate --live vm-1/);
    const kinds = await page.locator('#findings tr td:nth-child(2)').allInnerTexts();
    assert.ok(kinds.includes('ple-rate'), `vm-1's findings: ${kinds}`);
    await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length === 3);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-vm.png'), fullPage: true });
  });

  it('lists the alerts active now and the full history', async () => {
    await page.click('header a[href="#/alerts"]');
    await page.waitForSelector('#active-alerts tr.active-alert[data-node="demo-paper-1"]', {
      timeout: 60_000,
    });
    const row = await page
      .locator('#active-alerts tr.active-alert[data-node="demo-paper-1"]')
      .first()
      .innerText();
    assert.match(row, /critical\s+ple-rate/);
    assert.match(row, /[\d,]+ exits\/vCPU·s/);
    assert.ok((await page.locator('#alert-history tr.alert').count()) >= 1);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-alerts.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  it('follows the system’s dark mode, with readable severity colours in both themes', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`${demo.url}/#/`);
      await page.waitForSelector('.tile');
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const fg = await page.evaluate(() => getComputedStyle(document.body).color);
      const dark = contrast(bg, 'rgb(0, 0, 0)') < contrast(bg, 'rgb(255, 255, 255)');
      assert.equal(dark, scheme === 'dark', `${scheme}: body background ${bg}`);
      assert.ok(contrast(fg, bg) >= 7, `${scheme}: text ${fg} on ${bg}`);
      for (const tile of await page.$$('.tile')) {
        const [c, b] = await tile.evaluate((e) => [
          getComputedStyle(e).color,
          getComputedStyle(e).backgroundColor,
        ]);
        assert.ok(
          contrast(c!, b!) >= 4.5,
          `${scheme}: tile text ${c} on ${b} = ${contrast(c!, b!).toFixed(2)}`,
        );
      }
      await page.screenshot({ path: join(ARTIFACTS, `dashboard-${scheme}.png`), fullPage: true });
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('is usable from the keyboard: "/" focuses the search, Tab reaches the nodes, Enter opens one', async () => {
    await page.goto(`${demo.url}/#/`);
    await page.waitForSelector('.tile');
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'filter');
    await page.keyboard.type('paper');
    await page.waitForFunction(
      () => document.querySelector('#fleet-count')?.getAttribute('data-shown') === '1',
    );
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement?.classList.contains('tile'))) break;
    }
    assert.equal(
      await page.evaluate(() => (document.activeElement as HTMLElement).dataset.node),
      'demo-paper-1',
    );
    await page.keyboard.press('Enter');
    await page.waitForSelector('#agent-health');
    assert.match(page.url(), /#\/nodes\/demo-paper-1/);
  });

  it('works under a path prefix, as behind an Ingress or kubectl proxy', async () => {
    const proxy = await startPrefixProxy(
      demo.url,
      '/api/v1/namespaces/spinwise/services/spinwise:http/proxy/',
    );
    try {
      const p = await browser.newPage();
      const failed: string[] = [];
      p.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
      await p.goto(`${proxy.url}#/`);
      await p.waitForSelector('.tile[data-node="demo-paper-1"]');
      await p.click('.tile[data-node="demo-paper-1"]');
      await p.waitForFunction(() => document.querySelectorAll('.chart canvas').length === 4, undefined, {
        timeout: 30_000,
      });
      await p.waitForFunction(() => document.getElementById('live')?.classList.contains('on'));
      assert.deepEqual(proxy.outside, [], 'every request stayed under the prefix');
      assert.deepEqual(failed, []);
      await p.close();
    } finally {
      await proxy.close();
    }
  });

  it('renders and filters a 1,000-node fleet quickly (figures printed)', async (t) => {
    const fleet = syntheticFleet(1000);
    const p = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    await p.route('**/api/nodes', (route) => route.fulfill({ json: fleet }));
    const started = Date.now();
    await p.goto(`${demo.url}/#/`);
    await p.waitForSelector('.tile');
    const firstRenderMs = Date.now() - started;
    assert.equal(await p.locator('.tile').count(), 120, 'one page of tiles');
    assert.match(await p.locator('#fleet-pager').innerText(), /page 1 of 9/);
    const stale = fleet.filter((n) => n.agent.stale).length;
    assert.equal(await p.locator('#stale-count').getAttribute('data-count'), String(stale));

    // Search by namespace: every node running a VMI in "ml-training".
    const expected = fleet.filter((n) => n.vms.some((vm) => vm.namespace === 'ml-training')).length;
    const filterMs = await p.evaluate(async () => {
      const input = document.getElementById('filter') as HTMLInputElement;
      const t0 = performance.now();
      input.value = 'ml-training';
      input.dispatchEvent(new Event('input'));
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      return performance.now() - t0;
    });
    assert.equal(await p.locator('#fleet-count').getAttribute('data-shown'), String(expected));
    // Sort by oldest sample: the stale agents come first.
    await p.selectOption('#sort', 'age');
    await p.fill('#filter', '');
    const firstTiles = await p.$$eval('.tile', (els) =>
      els.slice(0, 3).map((e) => e.classList.contains('is-stale')),
    );
    assert.deepEqual(firstTiles, [true, true, true]);
    await p.click('#view-list');
    assert.equal(await p.locator('tr.node-row').count(), 50);
    await p.click('#fleet-pager button[data-page="2"]');
    assert.match(await p.locator('#fleet-pager').innerText(), /page 2 of 20/);
    await p.screenshot({ path: join(ARTIFACTS, 'dashboard-1000-nodes.png'), fullPage: false });
    const figures = {
      nodes: 1000,
      firstRenderMs,
      filterMs: Math.round(filterMs * 10) / 10,
      matched: expected,
    };
    t.diagnostic(`1,000-node fleet: ${JSON.stringify(figures)}`);
    process.stderr.write(`dashboard 1,000-node fleet: ${JSON.stringify(figures)}\n`);
    await p.close();
  });
});
