import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_SERVICE, HOSTILE_SPAN } from './fixtures/generate.js';
import { ALL_TIME, chromiumAvailable, FIXTURES, launchChromium, openPage, startUiServer, type UiServer } from './harness.js';
import type { PageGlobals } from './page-globals.js';
import { settled } from './screenshots.js';

/**
 * Span data is text: a span named `<script>…</script>` and a service named
 * `"><img src=x onerror=…>` must show literally and run nothing, on every view that shows them.
 */
const BROWSER_TEST_MS = 90_000;

describe.skipIf(!chromiumAvailable())('web UI renders hostile span data as text', () => {
  let ui: UiServer;
  let browser: Browser;

  beforeAll(async () => {
    ui = await startUiServer({ files: [FIXTURES.hostile] });
    browser = await launchChromium();
  }, BROWSER_TEST_MS);
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
  });

  const service = encodeURIComponent(HOSTILE_SERVICE);
  // Each view with the literal it must show (SVG flow labels are cut to fit their box).
  const views: readonly [string, string, string][] = [
    ['services list', `/services?${ALL_TIME}`, HOSTILE_SERVICE],
    ['overview', `/services/${service}?${ALL_TIME}`, HOSTILE_SPAN],
    ['backtrace with the caller selected', `/services/${service}/backtrace?${ALL_TIME}&node=edge-gateway`, HOSTILE_SPAN],
    ['backtrace with the focal node selected', `/services/${service}/backtrace?${ALL_TIME}&node=`, HOSTILE_SERVICE],
    ['flow', `/services/${service}/flow?${ALL_TIME}&node=0`, HOSTILE_SERVICE],
    ['caller flow', `/services/edge-gateway/flow?${ALL_TIME}`, HOSTILE_SERVICE.slice(0, 24)],
    ['traces', `/traces?${ALL_TIME}&service=${service}`, 'edge-gateway'],
    ['trace', `/traces/0000000000000000000000000000e001?${ALL_TIME}`, HOSTILE_SPAN],
  ];

  async function visit(link: string): Promise<{ page: Page; dialogs: string[] }> {
    const { page } = await openPage(browser);
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(ui.baseUrl + link);
    await settled(page);
    return { page, dialogs };
  }

  it.each(views)('%s: the names show literally and nothing runs', async (_view, link, literal) => {
    const { page, dialogs } = await visit(link);
    const shown = await page.evaluate(() => {
      const { document, __xss } = globalThis as unknown as PageGlobals;
      return {
        xss: __xss,
        images: document.querySelectorAll('img, iframe').length,
        scripts: document.querySelectorAll('script').length,
        text: [
          document.body.innerText,
          ...[...document.querySelectorAll('svg text')].map((t) => t.textContent),
          ...[...document.querySelectorAll('input')].map((i) => i.value),
        ].join('\n'),
      };
    });
    expect(shown.xss).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(shown.images).toBe(0);
    expect(shown.scripts).toBe(1); // the bundle
    expect(shown.text).toContain(literal);
    expect(shown.text).toContain(HOSTILE_SERVICE.slice(0, 24));
    await page.close();
  }, BROWSER_TEST_MS);

  it('shows the span name, failure reason and attributes literally in the backtrace and the trace', async () => {
    let { page } = await visit(`/services/${service}/backtrace?${ALL_TIME}&node=`);
    expect(await page.locator('.details-panel').innerText()).toContain(HOSTILE_SPAN);
    await page.getByRole('tab', { name: /Failure reasons/ }).click();
    expect(await page.locator('.tab-panel').innerText()).toContain('<b onmouseover=window.__xss=1>boom</b>');
    await page.close();

    ({ page } = await visit(`/traces/0000000000000000000000000000e001?${ALL_TIME}`));
    await page.locator('.wf-row', { hasText: HOSTILE_SPAN }).click();
    const details = await page.locator('.details-panel').innerText();
    expect(details).toContain(HOSTILE_SPAN);
    expect(details).toContain('<svg onload=window.__xss=1>-6c9f7d8b5-x2kqp');
    expect(await page.locator('.waterfall').innerText()).toContain('<iframe src=javascript:window.__xss=1>');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__xss)).toBeUndefined();
    await page.close();
  }, BROWSER_TEST_MS);

  it('offers no chain filter for a path the chain syntax cannot express', async () => {
    const { page } = await visit(`/services/${service}/backtrace?${ALL_TIME}&node=edge-gateway`);
    const button = page.getByRole('button', { name: 'Filter by this chain' });
    expect(await button.isDisabled()).toBe(true);
    expect(await button.getAttribute('title')).toContain('contains ">" or ":"');
    // The node's own details still load: its path (`edge-gateway`) is expressible.
    await page.getByRole('tab', { name: /Referring pages/ }).click();
    expect(await page.locator('.tab-panel').innerText()).toContain('javascript:window.__xss=1');
    await page.close();
  }, BROWSER_TEST_MS);
});
