import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Demo } from '../../src/advisor/demo';
import { startFastDemo } from '../support/fast-demo';

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
    page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    page.on('pageerror', (e) => errors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('shows a recommendation that appears after the page loaded, without a reload', async () => {
    await page.goto(`${demo.url}/`);
    await page.waitForSelector('#recommendations');
    await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
    assert.equal(
      await page.locator('tr.recommendation').count(),
      0,
      'no recommendation when the page loaded',
    );
    await page.waitForSelector('tr.recommendation[data-node="demo-paper-1"][data-kind="kernel"]', {
      timeout: 90_000,
    });
    assert.equal(
      await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce),
      true,
      'same page, not reloaded',
    );
  });

  it('lists every node of the demo with its severity', async () => {
    await page.waitForFunction(
      () => document.querySelectorAll('.tile[data-severity="critical"]').length >= 1,
      undefined,
      { timeout: 60_000 },
    );
    const tiles = await page.$$eval('.tile', (els) =>
      els.map((e) => [(e as HTMLElement).dataset.node, (e as HTMLElement).dataset.severity]),
    );
    const byNode = Object.fromEntries(tiles);
    assert.deepEqual(Object.keys(byNode).sort(), demo.nodeNames.slice().sort());
    assert.equal(byNode['demo-paper-1'], 'critical');
    assert.equal(byNode['demo-undercommitted-3'], 'ok');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });
  });

  it('a node page draws its charts with data', async () => {
    await page.click('.tile[data-node="demo-paper-1"]');
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
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-node.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });
});
