/**
 * Real user actions: Debian's Chromium, driven by playwright-core, opens the shop and clicks its
 * buttons in a loop, reloading the page between journeys (a document-load user action).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { SHOP_ACTIONS } from '../web/actions.js';
import { CUSTOMER_IDS, loop, pauseUnlessStopped, type Traffic } from './traffic.js';

/** DESIGN.md §5: the flags Chromium runs with in this project's containers and CI. */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
] as const;

export async function startBrowserTraffic(options: {
  readonly webUrl: string;
  readonly chromiumPath: string;
  readonly clickIntervalMillis: number;
  readonly log: (line: string) => void;
}): Promise<Traffic> {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'tributary-demo-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: options.chromiumPath,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    // The demo runner decides when the browser closes: first, before the services stop.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  }).catch(async (error: unknown) => {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => options.log(`[browser] ${error.message}`));

  let actions = 0;
  const running = loop(async (n, shouldStop) => {
    if (n > 0) await flushSpans(page);
    await page.goto(`${options.webUrl}/?customer=${CUSTOMER_IDS[n % CUSTOMER_IDS.length]}`);
    for (const action of SHOP_ACTIONS) {
      if (shouldStop()) return;
      await clickAndWait(page, action.buttonId);
      actions++;
      await pauseUnlessStopped(options.clickIntervalMillis, shouldStop);
    }
  }, options.log);

  return {
    mode: 'browser',
    description: `headless Chromium (${options.chromiumPath}) clicking through the shop`,
    get actions() {
      return actions;
    },
    stop: async () => {
      await running.stop();
      await flushSpans(page);
      // Ctrl-C in a terminal reaches Chromium too; it may be gone already.
      await context.close().catch(() => undefined);
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Exports the spans the page still holds, before it navigates or closes: it batches them for a
 * second, and a fetch span ends a little after its response (it waits for the resource timing).
 */
async function flushSpans(page: Page): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  await page.evaluate('window.demoFlushSpans?.()').catch(() => undefined);
}

/** Clicks like a user (Playwright's click: scrolled into view, mouse events) and waits for the answer. */
async function clickAndWait(page: Page, buttonId: string): Promise<void> {
  const before = await page.locator('#status').getAttribute('data-seq');
  await page.click(`#${buttonId}`);
  // Runs in the page (a string: this file is compiled without the DOM's types).
  await page.waitForFunction(`document.getElementById('status').dataset.seq !== ${JSON.stringify(before)}`, undefined, { timeout: 15_000 });
}
