// A session that runs out, in a real browser against the whole local stack with a 100 ms credit
// period (100 credits last exactly 10 s): the low-credit warning, the live fall of the balance,
// the "credits ran out" banner, and an expired token sending the user to sign in.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/client';
import { startTestStack, type TestStack } from '../support/stack';
import { ensureSiteBuilt, launchChromium, readNumber, readToken, screenshot, siteDir, tokenKey, watchForPageErrors } from './browser';

const periodMs = 100;

let stack: TestStack;
let client: ReturnType<typeof api>;
let browser: Browser;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  await ensureSiteBuilt();
  [stack, browser] = await Promise.all([startTestStack({ periodMs, tickMs: 50, siteDir }), launchChromium()]);
  client = api(stack.url);
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  page = await context.newPage();
  pageErrors = watchForPageErrors(page);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Presses Tab from the top of the page until the element with `testId` has the focus. */
async function tabTo(testId: string): Promise<void> {
  // The card renders its buttons once the account has loaded (the socket may be live sooner).
  await page.getByTestId(testId).waitFor();
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  for (let presses = 0; presses < 20; presses++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
    if (focused === testId) {
      // The focus is visible: a 3 px outline.
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineWidth);
      expect(outline).toBe('3px');
      return;
    }
  }
  throw new Error(`Tab never reached ${testId}`);
}

async function signInAs(token: string): Promise<void> {
  await page.goto(`${stack.url}/login`);
  await page.evaluate(([key, value]) => window.localStorage.setItem(key, value), [tokenKey, token] as const);
  await page.goto(`${stack.url}/dashboard`);
  await page.getByTestId('connection-status').and(page.locator('[data-state="live"]')).waitFor();
}

describe('a session that runs out of credits', () => {
  it('warns while less than a minute is left, then ends with a banner that says why', async () => {
    const user = await client.signup();
    await signInAs(user.token);
    expect(await readNumber(page, 'balance')).toBe(100);
    // 100 credits × 100 ms = 10 s of session time: under a minute before it even starts — which
    // an idle page can only know if the server states its period.
    const idle = await client.status(user.token);
    if (typeof (idle.body as { periodMs?: unknown }).periodMs === 'number') await page.getByTestId('low-credit-warning').waitFor();

    await page.getByRole('button', { name: 'Start session' }).click();
    await page.getByRole('button', { name: 'Stop session' }).waitFor();
    await expect(page.getByTestId('low-credit-warning').textContent()).resolves.toContain('will end in');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="balance"]')?.textContent) < 90);
    await screenshot(page, 'run-out-running-1024');

    await page.getByTestId('ended-banner').locator('[data-reason="exhausted"]').waitFor({ timeout: 15_000 });
    expect(await readNumber(page, 'balance')).toBe(0);
    await expect(page.getByTestId('ended-banner').textContent()).resolves.toContain('used 100 credits');
    await expect(page.getByTestId('ended-banner').textContent()).resolves.toContain('ran 10 s');
    // Out of credits: Start cannot be pressed, and the page says why.
    const start = page.getByRole('button', { name: 'Start session' });
    expect(await start.getAttribute('aria-disabled')).toBe('true');
    await expect(page.locator('#session-no-credits').textContent()).resolves.toContain('used all your credits');
    const status = await client.status(user.token);
    expect(status.body.session?.endReason).toBe('exhausted');
    expect(status.body.user.credits).toBe(0);
    await screenshot(page, 'run-out-ended-1024');
    await page.setViewportSize({ width: 320, height: 800 });
    await screenshot(page, 'run-out-ended-320');
    await page.setViewportSize({ width: 1024, height: 900 });
  });

  it('sends a user whose token stopped working to sign in, with a message', async () => {
    const user = await client.signup();
    await signInAs(user.token);
    // Revoke the token behind the page's back, as another device's logout would.
    expect((await client.call('POST', '/api/auth/logout', { token: user.token })).status).toBe(204);
    await page.reload();
    await page.waitForURL(/\/login$/);
    await expect(page.getByTestId('flash-message').textContent()).resolves.toContain('Your session has expired');
    expect(await page.evaluate((key) => window.localStorage.getItem(key), tokenKey)).toBeNull();
  });

  it('runs a session by keyboard alone', async () => {
    const user = await client.signup();
    await signInAs(user.token);
    expect(await readToken(page)).toBe(user.token);
    await tabTo('start-session');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Stop session' }).waitFor();
    await page.waitForFunction(() => (document.querySelector('[data-testid="session-clock"]')?.textContent ?? '') >= '00:00:02');
    await tabTo('stop-session');
    await page.keyboard.press('Space');
    await page.getByTestId('ended-banner').locator('[data-reason="stopped"]').waitFor();
  });

  it('raised no script errors and no CSP violations', () => {
    expect(pageErrors).toEqual([]);
  });
});
