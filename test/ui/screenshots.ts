import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot } from '../harness/server.js';
import { ALL_TIME, FIXTURES, launchChromium, openPage, startUiServer } from './harness.js';
import type { PageGlobals } from './page-globals.js';

/**
 * Waits until the view has settled: no API request in flight (`aria-busy` on `<main>`) and no
 * loading state, for 150 ms in a row — requests start in effects just after a render, so one
 * quiet moment is not enough.
 */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const w = globalThis as unknown as PageGlobals;
    const main = w.document.querySelector('main');
    const quiet = main !== null && main.getAttribute('aria-busy') === 'false' && w.document.querySelector('.state-loading') === null && main.querySelector('.page') !== null;
    if (!quiet) {
      w.__quietSince = undefined;
      return false;
    }
    w.__quietSince ??= performance.now();
    return performance.now() - w.__quietSince >= 150;
  }, undefined, { polling: 50 });
}

/** What `npm run screenshots` captures: every page of the UI on the fixtures, at 1280×720 and larger. */
export const SHOTS: readonly { readonly name: string; readonly path: string; readonly height?: number }[] = [
  { name: '01-services', path: `/services?${ALL_TIME}`, height: 1100 },
  { name: '02-services-zone', path: `/services?${ALL_TIME}&zone=shop-k8s` },
  { name: '03-service-overview', path: `/services/checkout?${ALL_TIME}&kind=service`, height: 1000 },
  { name: '04-backtrace', path: `/services/api.stripe.com/backtrace?${ALL_TIME}&kind=external` },
  { name: '05-backtrace-details', path: `/services/api.stripe.com/backtrace?${ALL_TIME}&kind=external&node=${encodeURIComponent('application!shop-web > frontend > checkout > payment')}` },
  { name: '06-backtrace-chain', path: `/services/payment/backtrace?${ALL_TIME}&chain=${encodeURIComponent('order-sync > checkout > payment')}` },
  { name: '07-backtrace-smartthings', path: `/services/auth/backtrace?${ALL_TIME}&kind=service`, height: 1400 },
  { name: '08-flow', path: `/services/frontend/flow?${ALL_TIME}` },
  { name: '09-flow-selected', path: `/services/shop-web/flow?${ALL_TIME}&node=0.0.0.0` },
  { name: '10-flow-smartthings', path: `/services/coreSrv/flow?${ALL_TIME}`, height: 1400 },
  { name: '11-traces', path: `/traces?${ALL_TIME}` },
  { name: '12-traces-failed', path: `/traces?${ALL_TIME}&service=checkout&failed=true` },
  { name: '13-trace-checkout', path: `/traces/0000000000000000000000000000a00c?${ALL_TIME}`, height: 1000 },
  { name: '14-trace-smartthings', path: `/traces/000000000000000014b60fd9ae504820?${ALL_TIME}` },
  { name: '15-empty', path: '/services' },
  { name: '16-not-found', path: `/services/no-such-service?${ALL_TIME}` },
  { name: '17-hostile-backtrace', path: `/services/${encodeURIComponent('"><img src=x onerror=window.__xss=1>')}/backtrace?${ALL_TIME}&node=edge-gateway` },
  { name: '18-custom-timeframe', path: `/services/checkout/flow?from=1715680800000&to=1715681700000` },
  { name: '19-application-overview', path: `/services/shop-web?${ALL_TIME}` },
  { name: '20-database-overview', path: `/services/orders?${ALL_TIME}&kind=database` },
  { name: '21-backtrace-zone', path: `/services/checkout/backtrace?${ALL_TIME}&zone=shop-k8s&node=frontend` },
];

export const SHOP_ZONES = ['zones:', '  - name: shop-k8s', '    rules:', '      - { attribute: k8s.namespace.name, equals: shop }', ''].join('\n');

export async function captureScreenshots(outDir = path.join(repoRoot, 'screenshots')): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const ui = await startUiServer({ files: [FIXTURES.shop, FIXTURES.hostile, FIXTURES.smartthings], configYaml: SHOP_ZONES });
  const browser = await launchChromium();
  const written: string[] = [];
  try {
    for (const shot of SHOTS) {
      const { page, errors } = await openPage(browser, 1280, shot.height ?? 720);
      await page.goto(ui.baseUrl + shot.path);
      await settled(page);
      const file = path.join(outDir, `${shot.name}.png`);
      await page.screenshot({ path: file, fullPage: false });
      if (errors.length > 0) console.error(`${shot.name}: page errors: ${errors.join('; ')}`);
      written.push(file);
      await page.close();
    }
  } finally {
    await browser.close();
    await ui.stop();
  }
  return written;
}
