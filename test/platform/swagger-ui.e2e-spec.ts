import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { Tier } from 'src/auth/tier';
import { launchChromium } from '../support/chromium';
import { createTestApp, type TestApp } from '../support/test-app';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
/** Generous: the documentation page is large and the CI box is a busy 2-core machine. */
const WAIT = { timeout: 30_000 };

/**
 * Swagger UI at /docs, driven as an integrator drives it: Authorize with the API key as it was shown at
 * creation (no `APIKEY ` prefix) in the first box of the dialog, then "Try it out" on GET /config.
 */
describe('Swagger UI at /docs in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  /** What the page reported on its console (CSP violations among them), for the failure messages. */
  const pageConsole: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await page?.close().catch(() => undefined);
    await context?.close();
    await browser?.close();
    await t?.close();
  });

  /** The live response of the last Execute: its status cell, once Swagger UI has rendered it. */
  async function executeAndReadStatus(operation: Locator): Promise<{ status: string; body: string; curl: string }> {
    await operation.getByRole('button', { name: 'Execute' }).click();
    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor(WAIT);
    const body = operation.locator('.live-responses-table .response-col_description .microlight').first();
    await body.waitFor(WAIT);
    return {
      status: ((await status.textContent()) ?? '').trim(),
      body: (await body.textContent()) ?? '',
      curl: (await operation.locator('.curl-command').first().textContent()) ?? '',
    };
  }

  it('should call GET /config with a bare key pasted into the first Authorize box', async () => {
    const { key } = await t.createKey(Tier.Public);
    page = await context.newPage();
    page.on('console', (message) => pageConsole.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => pageConsole.push(`pageerror: ${error.message}`));

    const docs = await page.goto(`${base}/docs`, WAIT);
    expect(docs?.status()).toBe(200);
    // Swagger UI has loaded the document and rendered the operations.
    const operation = page.locator('#operations-Configuration-getConfig');
    await operation.waitFor(WAIT);

    // Without authorizing, "Try it out" reaches the route without a credential: 401.
    await operation.locator('.opblock-summary').first().click();
    await operation.getByRole('button', { name: 'Try it out' }).click(WAIT);
    const anonymous = await executeAndReadStatus(operation);
    expect({ status: anonymous.status, pageConsole }).toEqual({ status: '401', pageConsole });
    expect(anonymous.curl).not.toContain(key);
    await operation.getByRole('button', { name: 'Clear' }).click(WAIT);
    await operation.locator('.live-responses-table').waitFor({ ...WAIT, state: 'detached' });

    // The dialog's first box is the X-API-Key scheme, where the key goes as it is.
    await page.locator('button.btn.authorize').first().click(WAIT);
    const dialog = page.locator('.modal-ux');
    await dialog.waitFor(WAIT);
    const first = dialog.locator('.auth-container').first();
    await first.waitFor(WAIT);
    // In the order the dialog shows them, for the failure message.
    const headings = (await dialog.locator('.auth-container h4').allTextContents()).map((text) => text.trim());
    const block = (await first.textContent()) ?? '';
    expect({ first: headings[0], block, headings }).toEqual({
      first: expect.stringMatching(/^ApiKey\b(?!Authorization)/),
      block: expect.stringContaining('Name: X-API-Key'),
      headings,
    });
    // The first text box of the dialog takes the key, and it is the X-API-Key block's box.
    await dialog.locator('input').first().fill(key);
    expect(await first.locator('input').first().inputValue()).toBe(key);
    await first.locator('button.modal-btn.authorize').click(WAIT);
    await first.locator('button.modal-btn', { hasText: 'Logout' }).waitFor(WAIT);
    await page.screenshot({ path: join(ARTIFACTS, 'swagger-ui-authorized.png'), fullPage: true });
    await first.locator('button.modal-btn.btn-done').click(WAIT);
    await dialog.waitFor({ ...WAIT, state: 'detached' });

    // The same Execute now sends the key as X-API-Key and gets the client configuration.
    const authorized = await executeAndReadStatus(operation);
    await page.screenshot({ path: join(ARTIFACTS, 'swagger-ui-config.png'), fullPage: true });
    expect({ status: authorized.status, body: authorized.body, pageConsole }).toEqual({
      status: '200',
      body: expect.stringContaining('"storageSubdomain": "auratest"'),
      pageConsole,
    });
    expect(authorized.curl).toContain(`X-API-Key: ${key}`);
    expect(authorized.curl).not.toContain('APIKEY');
  });
});
