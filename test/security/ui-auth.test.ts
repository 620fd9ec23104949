import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDataDir, repoRoot, startServer, type ServerProcess } from '../harness/server.js';
import { ALL_TIME, FIXTURES, assertWebBuilt, chromiumAvailable, launchChromium, openPage } from '../ui/harness.js';
import { settled } from '../ui/screenshots.js';

/**
 * The UI against a multi-tenant server that requires a query token, in Debian's Chromium: the
 * first API call answers 401, the UI shows its sign-in form, and once signed in every API call
 * carries the token and the tenant (kept in sessionStorage, the tenant also from `?tenant=`).
 */
const TOKEN = 'ui-query-token-5a6b7c8d9e0f1a2b';
const BROWSER_TEST_MS = 90_000;
const run = promisify(execFile);

describe.skipIf(!chromiumAvailable())('web UI sign-in (query token, X-Scope-OrgID)', () => {
  const data = makeDataDir('tributary-ui-auth-');
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    assertWebBuilt();
    await run(process.execPath, [path.join(repoRoot, 'bin/tributary.js'), 'import', FIXTURES.shop, '--data', data.dir, '--tenant', 'acme'], { cwd: repoRoot });
    server = await startServer({ dataDir: data.dir, args: ['--multi-tenancy', '--query-token', TOKEN] });
    browser = await launchChromium();
    ({ page, errors } = await openPage(browser));
  }, BROWSER_TEST_MS);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    data.remove();
  });

  const base = () => `http://127.0.0.1:${server.apiPort}`;
  const form = () => page.locator('form.sign-in-form');
  const reason = async () => (await page.locator('.sign-in-reason').innerText()).trim();
  /** Chromium logs every 401 response as a console error; those are expected here. */
  const unexpectedErrors = () => errors.filter((e) => !/status of 401/.test(e));

  it('asks for a token when the API answers 401, with the tenant of the deep link filled in', async () => {
    await page.goto(`${base()}/services?${ALL_TIME}&tenant=acme`);
    await settled(page);
    await expect.poll(() => form().isVisible()).toBe(true);
    expect(await reason()).toBe('missing bearer token (Authorization: Bearer <token>)');
    expect(await page.getByLabel('Tenant').inputValue()).toBe('acme');
    expect(await page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
  }, BROWSER_TEST_MS);

  it('says so when the token is wrong', async () => {
    await page.getByLabel('Token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(reason).toBe('invalid bearer token');
  }, BROWSER_TEST_MS);

  it('shows the tenant\'s services once signed in, and keeps the token for the session', async () => {
    await page.getByLabel('Token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'Service checkout', exact: true }).count()).toBe(1);
    expect(await form().count()).toBe(0);
    expect(await page.locator('.signed-in').innerText()).toMatch(/tenant acme/);
    const stored = await page.evaluate(() => {
      // Runs in Chromium; the Node tsconfig has no DOM lib.
      const storage = (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage;
      return [storage.getItem('tributary.token'), storage.getItem('tributary.tenant')];
    });
    expect(stored).toEqual([TOKEN, 'acme']);

    // A reload (and a link without ?tenant=) keeps the session: every API call carries both headers.
    await page.goto(`${base()}/services/checkout?${ALL_TIME}`);
    await settled(page);
    expect(await page.locator('.infographic').innerText()).toMatch(/frontend\s+12 calls/);
    expect(await form().count()).toBe(0);
  }, BROWSER_TEST_MS);

  it('shows another tenant\'s (empty) data when signed in as it, and the form again after Sign out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => form().isVisible()).toBe(true);
    expect(await reason()).toBe('missing bearer token (Authorization: Bearer <token>)');
    await page.getByLabel('Token').fill(TOKEN);
    await page.getByLabel('Tenant').fill('other');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.goto(`${base()}/services?${ALL_TIME}`);
    await settled(page);
    expect(await page.getByRole('link', { name: 'Service checkout', exact: true }).count()).toBe(0);
    expect(await page.locator('main').innerText()).not.toContain('checkout');
    expect(unexpectedErrors()).toEqual([]);
  }, BROWSER_TEST_MS);
});
