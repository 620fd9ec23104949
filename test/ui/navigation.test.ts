import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TIME, chromiumAvailable, FIXTURES, launchChromium, openPage, startUiServer, type UiServer } from './harness.js';
import type { PageGlobals } from './page-globals.js';
import { SHOP_ZONES, settled } from './screenshots.js';

/**
 * The UI in a real Chromium against a real `tributary serve` with the shop fixture (a browser
 * application, Kubernetes services, a failing third party) and a real Zipkin trace imported.
 * Every assertion is about what a user sees: texts, counts, and the URL.
 */
const BROWSER_TEST_MS = 90_000;

if (!chromiumAvailable()) console.warn('UI tests skipped: /usr/bin/chromium is absent (apt-get install chromium)');

describe.skipIf(!chromiumAvailable())('web UI in Chromium', () => {
  let ui: UiServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    ui = await startUiServer({ files: [FIXTURES.shop, FIXTURES.smartthings], configYaml: SHOP_ZONES });
    browser = await launchChromium();
  }, BROWSER_TEST_MS);
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
  });

  async function open(link: string): Promise<void> {
    ({ page, errors } = await openPage(browser));
    await page.goto(ui.baseUrl + link);
    await settled(page);
  }

  async function closePage(): Promise<void> {
    await page.close();
  }

  const currentUrl = () => new URL(page.url());
  const text = async (selector: string) => (await page.locator(selector).allInnerTexts()).join('\n');
  /** SVG has no innerText: the flow graph's labels, one `<text>` per line. */
  const flowText = async () => (await page.locator('.flow-graph text').allTextContents()).join('\n');

  it('opens every deep link on its own view', async () => {
    const links: [string, string, RegExp][] = [
      [`/services?${ALL_TIME}`, 'main h1', /^Services$/],
      [`/services/checkout?${ALL_TIME}`, '.infographic', /frontend\s+12 calls · 25% failed/],
      [`/services/checkout/backtrace?${ALL_TIME}`, '.bt-tree', /shop-web\s+12 requests\s+80%\s+25% failed/],
      [`/services/checkout/flow?${ALL_TIME}`, '.summary', /15 requests of checkout · 20% failed · 4 callees along the way/],
      [`/traces?${ALL_TIME}`, '.traces-table', /shop-web\s+click on BUTTON#checkout/],
      [`/traces/0000000000000000000000000000a006?${ALL_TIME}`, '.waterfall', /api\.stripe\.com\s+Third party call/i],
    ];
    for (const [link, selector, expected] of links) {
      await open(link);
      expect(await text(selector), link).toMatch(expected);
      if (link.includes('/flow')) expect(await flowText()).toMatch(/api\.stripe\.com\s+100% of requests · 15 calls\s+20% failed/);
      expect(errors, link).toEqual([]);
      await closePage();
    }
  }, BROWSER_TEST_MS);

  it('clicks through services → service → backtrace → details → chain filter → flow → traces → trace', async () => {
    await open(`/services?${ALL_TIME}`);
    await page.getByRole('link', { name: 'Service checkout', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/services/checkout');
    expect(currentUrl().searchParams.get('kind')).toBe('service');
    expect(currentUrl().searchParams.get('from')).toBe('0');
    await settled(page);
    const overview = await text('.infographic');
    expect(overview).toMatch(/callers[\s\S]*frontend\s+12 calls · 25% failed[\s\S]*order-sync\s+3 calls · 0% failed/i);
    expect(overview).toMatch(/callees[\s\S]*payment\s+15 calls · 20% failed/i);
    expect(await text('main')).toContain('checkout-5b7d9f6c4-q8wzr on node-b');

    await page.getByRole('link', { name: 'Analyze backtrace' }).click();
    await page.waitForURL((url) => url.pathname === '/services/checkout/backtrace');
    await settled(page);
    expect(await text('.summary')).toMatch(/15 requests of checkout · 20% failed · callers up to 2 hops away/);
    expect(await page.locator('.bt-node').count()).toBe(4);

    // The browser application, two hops up: its details come from /backtrace/details.
    await page.locator('.bt-node[data-node="shop-web"]').click();
    await page.waitForURL((url) => url.searchParams.get('node') === 'application!shop-web > frontend');
    await settled(page);
    const details = page.locator('.details-panel');
    expect(await details.innerText()).toMatch(/12 of 15 requests \(80%\) · 25% failed/);
    expect(await details.innerText()).toMatch(/click on BUTTON#checkout\s+12 · 25% failed/);
    expect(await details.innerText()).toMatch(/Sent to frontend\s+POST \/api\/checkout/);
    await details.getByRole('tab', { name: /Failure reasons/ }).click();
    expect(await text('.tab-panel')).toMatch(/payment failed\s+3/);
    await details.getByRole('tab', { name: /Referring pages/ }).click();
    expect(await text('.tab-panel')).toMatch(/https:\/\/shop\.example\.com\/cart\s+12/);
    await details.getByRole('tab', { name: /Proxies/ }).click();
    expect(await text('.tab-panel')).toMatch(/ingress-nginx\s+12/);
    await details.getByRole('tab', { name: /Traces/ }).click();
    expect(await page.locator('.trace-links a').count()).toBe(12);

    await details.getByRole('button', { name: 'Filter by this chain' }).click();
    await page.waitForURL((url) => url.searchParams.get('chain') === 'application!shop-web > frontend > checkout');
    await settled(page);
    expect(await text('.chip')).toContain('application!shop-web > frontend > checkout');
    expect(await text('.summary')).toMatch(/12 requests of checkout · 25% failed/);
    expect(await page.locator('.bt-node[data-node="order-sync"]').count()).toBe(0);

    // The chain filter travels to the flow ...
    await page.getByRole('link', { name: 'Service flow' }).click();
    await page.waitForURL((url) => url.pathname === '/services/checkout/flow');
    expect(currentUrl().searchParams.get('chain')).toBe('application!shop-web > frontend > checkout');
    await settled(page);
    expect(await text('.summary')).toMatch(/12 requests of checkout · 25% failed · 4 callees along the way/);
    const flow = await flowText();
    expect(flow).toMatch(/payment\s+100% of requests · 12 calls\s+25% failed/);
    expect(flow).toMatch(/api\.stripe\.com\s+100% of requests · 12 calls\s+25% failed · p50 650 ms/);
    expect(flow).toMatch(/order-events\s+75% of requests · 9 calls/);

    // ... and to the traces list.
    await page.getByRole('link', { name: 'Traces', exact: true }).last().click();
    await page.waitForURL((url) => url.pathname === '/traces');
    expect(currentUrl().searchParams.get('service')).toBe('checkout');
    expect(currentUrl().searchParams.get('chain')).toBe('application!shop-web > frontend > checkout');
    await settled(page);
    expect(await text('.summary')).toBe('12 traces, newest first');
    expect(await page.locator('.traces-table tbody tr').count()).toBe(12);

    await page.locator('label.checkbox', { hasText: 'Failed only' }).click();
    await page.getByRole('button', { name: 'Apply' }).last().click();
    await page.waitForURL((url) => url.searchParams.get('failed') === 'true');
    await settled(page);
    expect(await page.locator('.traces-table tbody tr').count()).toBe(3);

    await page.locator('.traces-table tbody tr').first().getByRole('link').click();
    await page.waitForURL((url) => url.pathname.startsWith('/traces/0000'));
    await settled(page);
    const waterfall = page.locator('.waterfall');
    expect(await waterfall.locator('.wf-call-start').count()).toBe(4);
    expect(await waterfall.locator('.wf-call-start.wf-error').count()).toBe(3);
    expect(await waterfall.locator('.wf-synthetic', { hasText: 'api.stripe.com' }).innerText()).toMatch(/api\.stripe\.com\s+Third party call\s+Service Unavailable/i);
    expect(await text('.trace-facts')).toMatch(/Service calls\s+6 · 67% failed/i);
    expect(await text('.calls-table')).toMatch(/payment\s+POST \/charge\s+checkout\s+690 ms\s+card charge failed: upstream 503/);

    // Selecting a span shows its attributes and exception, as text.
    await waterfall.locator('.wf-row[data-span="POST /charge"]').click();
    await page.waitForURL((url) => url.searchParams.has('span'));
    const span = await text('.details-panel');
    expect(span).toMatch(/Starts a call of payment \(POST \/charge\) from checkout · failed: card charge failed: upstream 503/);
    expect(span).toContain('at StripeClient.charge (/app/src/stripe-client.js:88:13)');

    // Back goes through the history the clicks made.
    await page.goBack();
    await page.waitForURL((url) => url.pathname === '/traces');
    expect(errors).toEqual([]);
    await closePage();
  }, BROWSER_TEST_MS);

  it('removes the chain filter with its chip', async () => {
    await open(`/services/checkout/flow?${ALL_TIME}&chain=${encodeURIComponent('order-sync > checkout')}`);
    expect(await text('.summary')).toMatch(/^3 requests of checkout/);
    await page.getByRole('button', { name: 'Remove chain filter' }).click();
    await page.waitForURL((url) => !url.searchParams.has('chain'));
    await settled(page);
    expect(await text('.summary')).toMatch(/^15 requests of checkout · 20% failed/);
    await closePage();
  }, BROWSER_TEST_MS);

  it('shows stack traces and Kubernetes instances of a backtrace node', async () => {
    await open(`/services/payment/backtrace?${ALL_TIME}&node=`);
    const details = page.locator('.details-panel');
    expect(await details.innerText()).toMatch(/^payment\n[\s\S]*Service · focal service/);
    await details.getByRole('tab', { name: /Stack traces/ }).click();
    expect(await text('.tab-panel')).toMatch(/3 requests\s+PaymentError: card charge failed: upstream 503\s+at StripeClient\.charge/);
    await details.getByRole('tab', { name: /Instances/ }).click();
    expect(await text('.tab-panel')).toMatch(/payment-7f8c6d5b9-m3n4p\s+shop \/ payment\s+payment-7f8c6d5b9-m3n4p on node-a\s+cluster prod-eu-1\s+15\s+20%/);
    await closePage();
  }, BROWSER_TEST_MS);

  it('reaches tree nodes, tabs and flow nodes with the keyboard', async () => {
    await open(`/services/checkout/backtrace?${ALL_TIME}`);
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.classList.contains('bt-node') ?? false);
    }
    expect(reached).toBe(true);
    const name = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.dataset.node);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.searchParams.has('node'));
    await settled(page);
    expect(await page.locator('.details-title').innerText()).toBe(name);
    // Arrow keys move between the details tabs.
    await page.getByRole('tab', { selected: true }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { selected: true }).innerText()).toMatch(/^Failure reasons/);
    await closePage();

    await open(`/services/frontend/flow?${ALL_TIME}`);
    reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.classList.contains('flow-node') ?? false);
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.searchParams.get('node') === '0');
    expect(await page.locator('.details-panel').innerText()).toMatch(/Requests calling\s+36 \(100%\)/);
    await closePage();
  }, BROWSER_TEST_MS);

  it('sorts and searches the services list, and keeps both in the URL', async () => {
    await open(`/services?${ALL_TIME}`);
    await page.getByRole('button', { name: /^Failure rate/ }).click();
    await page.waitForURL((url) => url.searchParams.get('sort') === 'failureRate' && url.searchParams.get('dir') === 'desc');
    const firstRates = await page.locator('.services-table tbody tr td:nth-child(4)').allInnerTexts();
    expect(firstRates.slice(0, 4)).toEqual(['100%', '20%', '20%', '20%']);
    expect(await page.locator('th[aria-sort="descending"]').innerText()).toMatch(/Failure rate/);

    await page.getByRole('searchbox', { name: 'Search services' }).fill('pay');
    await page.waitForURL((url) => url.searchParams.get('q') === 'pay');
    expect(await text('.services-table tbody')).toMatch(/^payment\s+Service\s+15\s+20%/);
    expect(await text('.summary')).toMatch(/^1 of \d+ services/);

    await page.getByRole('combobox', { name: 'Kind' }).selectOption('database');
    expect(await text('main .state-empty')).toContain('No service matches the search');
    await closePage();
  }, BROWSER_TEST_MS);

  it('picks a timeframe: presets, custom, and the empty state', async () => {
    await open(`/services/checkout?${ALL_TIME}`);
    expect(await page.getByRole('combobox', { name: 'Timeframe' }).inputValue()).toBe('custom');
    await page.getByRole('combobox', { name: 'Timeframe' }).selectOption('now-15m');
    await page.waitForURL((url) => url.searchParams.get('from') === 'now-15m' && !url.searchParams.has('to'));
    await settled(page);
    expect(await text('main .state-empty')).toContain('No requests in this timeframe');

    await page.getByRole('combobox', { name: 'Timeframe' }).selectOption('custom');
    await page.getByLabel('From', { exact: true }).fill('2024-05-13T00:00');
    await page.getByLabel('To', { exact: true }).fill('2024-05-16T00:00');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((url) => url.searchParams.get('from') === String(new Date('2024-05-13T00:00').getTime()));
    await settled(page);
    expect(await text('.focal-card')).toMatch(/15\s+requests/);
    expect(currentUrl().pathname).toBe('/services/checkout');
    await closePage();
  }, BROWSER_TEST_MS);

  it('filters by zone and marks backtrace nodes outside it', async () => {
    await open(`/services?${ALL_TIME}`);
    await page.getByRole('combobox', { name: 'Zone' }).selectOption('shop-k8s');
    await page.waitForURL((url) => url.searchParams.get('zone') === 'shop-k8s');
    await settled(page);
    expect(await text('.summary')).toMatch(/^10 services/);
    expect(await text('.services-table')).not.toContain('coreSrv');

    await page.getByRole('link', { name: 'Service checkout', exact: true }).click();
    await page.getByRole('link', { name: 'Analyze backtrace' }).click();
    await page.waitForURL((url) => url.pathname === '/services/checkout/backtrace' && url.searchParams.get('zone') === 'shop-k8s');
    await settled(page);
    // Zone membership is its own request (the zone's services list), which may land after the tree.
    await page.locator('.bt-node[data-node="shop-web"]', { hasText: 'outside zone' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('.bt-node[data-node="shop-web"]').innerText()).toContain('outside zone');
    expect(await page.locator('.bt-node[data-node="frontend"]').innerText()).not.toContain('outside zone');
    await closePage();
  }, BROWSER_TEST_MS);

  it('shows API errors, unknown pages and a big real trace', async () => {
    await open(`/services/no-such-service/backtrace?${ALL_TIME}`);
    expect(await text('main [role="alert"]')).toMatch(/Not found\s+no service named "no-such-service"/);
    await closePage();

    await open('/services/checkout?from=yesterday');
    expect(await text('main [role="alert"]')).toMatch(/from: expected ISO-8601/);
    await closePage();

    await open('/nowhere/at/all');
    expect(await text('main')).toContain('Page not found');
    await closePage();

    await open(`/traces/000000000000000014b60fd9ae504820?${ALL_TIME}`);
    expect(await text('.trace-facts')).toMatch(/spans\s+953\s+services\s+16/i);
    expect(await page.locator('.wf-row').count()).toBeGreaterThan(953);
    expect(errors).toEqual([]);
    await closePage();
  }, BROWSER_TEST_MS);
});
