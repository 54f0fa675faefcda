// A new user in a real browser (Debian's Chromium) against the whole local stack: sign up, see
// 100 credits, run a session while the balance and clock move in step with the API, keep a
// second tab in step, stop, reload, log out — and the layout at 320, 768, 1024 and 1440 px.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/client';
import { startTestStack, type TestStack } from '../support/stack';
import {
  clockSeconds,
  ensureSiteBuilt,
  launchChromium,
  readNumber,
  readToken,
  screenshot,
  siteDir,
  tokenKey,
  uniqueEmail,
  watchForPageErrors,
  widths,
} from './browser';

// One credit a second: slow enough to read, fast enough to watch the balance fall.
const periodMs = 1000;
const password = 'correct horse battery';

let stack: TestStack;
let client: ReturnType<typeof api>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
const email = uniqueEmail('e2e');

beforeAll(async () => {
  await ensureSiteBuilt();
  [stack, browser] = await Promise.all([startTestStack({ periodMs, tickMs: 50, siteDir }), launchChromium()]);
  client = api(stack.url);
  context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  page = await context.newPage();
  pageErrors = watchForPageErrors(page);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the dashboard, as a new user sees it', () => {
  it('sends a visitor without an account from / to sign in', async () => {
    await page.goto(stack.url);
    await page.waitForURL(/\/login$/);
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
  });

  it('explains a bad sign-up in a sentence next to the field', async () => {
    await page.goto(`${stack.url}/signup`);
    await page.getByLabel('Email address').fill('not-an-email');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.locator('#signup-email-error').textContent()).resolves.toContain('Enter an email address like');
    await expect(page.locator('#signup-password-error').textContent()).resolves.toContain('at least 8 characters');
    await expect(page.getByLabel('Email address').getAttribute('aria-invalid')).resolves.toBe('true');
  });

  it('signs up and shows 100 credits, live', async () => {
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/dashboard$/);
    await page.getByTestId('connection-status').and(page.locator('[data-state="live"]')).waitFor();
    expect(await readNumber(page, 'balance')).toBe(100);
    await page.getByTestId('session-empty').waitFor();
    await screenshot(page, 'dashboard-new-user-1024');
  });

  it('runs a session: the balance falls and the clock moves, in step with the API', async () => {
    const token = await readToken(page);
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.getByRole('button', { name: 'Stop session' }).waitFor();

    const firstClock = clockSeconds(await page.getByTestId('session-clock').textContent());
    await page.waitForFunction(() => {
      const text = document.querySelector('[data-testid="session-clock"]')?.textContent ?? '';
      const [h, m, s] = text.split(':').map(Number);
      return (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0) >= 3;
    });
    const laterClock = clockSeconds(await page.getByTestId('session-clock').textContent());
    expect(laterClock).toBeGreaterThan(firstClock);

    // Compare the page with the API at the same moment: the balance is the server's, the clock
    // is serverNow − startTime (within a second of rounding and a tick of lateness).
    const [status, shownBalance, shownClock] = await Promise.all([
      client.status(token),
      readNumber(page, 'balance'),
      page.getByTestId('session-clock').textContent(),
    ]);
    expect(status.status).toBe(200);
    const session = status.body.session;
    if (session === null) throw new Error('no session in status');
    expect(session.isActive).toBe(true);
    expect(Math.abs(shownBalance - status.body.user.credits)).toBeLessThanOrEqual(1);
    expect(shownBalance).toBeLessThan(100);
    const apiElapsedS = (Date.parse(status.body.serverTime) - Date.parse(session.startTime)) / 1000;
    expect(Math.abs(clockSeconds(shownClock) - apiElapsedS)).toBeLessThan(1.5);
    expect(await readNumber(page, 'credits-used')).toBeGreaterThanOrEqual(3);
    // 100 credits at 1 s: time left counts down from 1:40 towards endsAt.
    const timeLeftS = clockSeconds(await page.getByTestId('time-left').textContent());
    const apiLeftS = (Date.parse(session.endsAt ?? '') - Date.parse(status.body.serverTime)) / 1000;
    expect(Math.abs(timeLeftS - apiLeftS)).toBeLessThan(1.5);

    // The balance keeps falling while we watch.
    const before = await readNumber(page, 'balance');
    await page.waitForFunction(
      (b) => Number(document.querySelector('[data-testid="balance"]')?.textContent) < b,
      before,
      { timeout: 5000 },
    );
  });

  it('keeps a second tab of the same user in step', async () => {
    const second = await context.newPage();
    const secondErrors = watchForPageErrors(second);
    await second.goto(`${stack.url}/dashboard`);
    await second.getByRole('button', { name: 'Stop session' }).waitFor();
    await second.getByTestId('connection-status').and(second.locator('[data-state="live"]')).waitFor();
    const [a, b] = [await readNumber(page, 'balance'), await readNumber(second, 'balance')];
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1);
    const clocks = await Promise.all([page, second].map((p) => p.getByTestId('session-clock').textContent()));
    expect(Math.abs(clockSeconds(clocks[0] ?? '') - clockSeconds(clocks[1] ?? ''))).toBeLessThanOrEqual(1);
    // Stop from the second tab: the first learns it over its WebSocket.
    await second.getByRole('button', { name: 'Stop session' }).click();
    await page.getByTestId('ended-banner').locator('[data-reason="stopped"]').waitFor({ timeout: 5000 });
    await page.getByRole('button', { name: 'Start session' }).waitFor();
    expect(secondErrors).toEqual([]);
    await second.close();
  });

  it('lays out at 320, 768, 1024 and 1440 px without horizontal scroll, controls in view', async () => {
    // Run a session so the live controls are on screen.
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.getByRole('button', { name: 'Stop session' }).waitFor();
    const expectedColumns: Record<number, number> = { 320: 1, 768: 2, 1024: 3, 1440: 4 };
    for (const width of widths) {
      await page.setViewportSize({ width, height: 900 });
      await page.waitForTimeout(150);
      const layout = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        columns: getComputedStyle(document.querySelector('[data-testid="dashboard-grid"]') as Element).gridTemplateColumns.split(' ').length,
      }));
      expect(layout.scrollWidth, `horizontal scroll at ${width}px`).toBeLessThanOrEqual(layout.clientWidth);
      expect(layout.columns, `columns at ${width}px`).toBe(expectedColumns[width]);
      for (const control of [page.getByRole('button', { name: 'Stop session' }), page.getByRole('button', { name: 'Log out' })]) {
        expect(await control.isVisible()).toBe(true);
        const box = await control.boundingBox();
        if (box === null) throw new Error('control has no box');
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(width);
        if (width < 768) expect(box.height).toBeGreaterThanOrEqual(44);
      }
      expect(await page.getByTestId('balance').isVisible()).toBe(true);
      await screenshot(page, `dashboard-${width}`);
    }
    await page.setViewportSize({ width: 1024, height: 900 });
  });

  it('stops the session and says so, with the balance the API reports', async () => {
    const token = await readToken(page);
    await page.getByRole('button', { name: 'Stop session' }).click();
    await page.getByTestId('ended-banner').locator('[data-reason="stopped"]').waitFor();
    const status = await client.status(token);
    expect(status.body.session?.isActive).toBe(false);
    expect(await readNumber(page, 'balance')).toBe(status.body.user.credits);
    // The balance no longer moves.
    await page.waitForTimeout(1500);
    expect(await readNumber(page, 'balance')).toBe(status.body.user.credits);
  });

  it('stays signed in across a reload', async () => {
    const shown = await readNumber(page, 'balance');
    await page.reload();
    await page.getByTestId('balance').waitFor();
    expect(page.url()).toMatch(/\/dashboard$/);
    expect(await readNumber(page, 'balance')).toBe(shown);
    await expect(page.getByTestId('last-session').textContent()).resolves.toContain('Stopped by you');
  });

  it('logs out: back to sign in, and the old token no longer works', async () => {
    const token = await readToken(page);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login$/);
    await expect(page.getByTestId('flash-message').textContent()).resolves.toContain('signed out');
    expect(await page.evaluate((key) => window.localStorage.getItem(key), tokenKey)).toBeNull();
    expect((await client.profile(token)).status).toBe(401);
    await page.goto(`${stack.url}/dashboard`);
    await page.waitForURL(/\/login$/);
  });

  it('says a wrong password is wrong, next to the password', async () => {
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill('not my password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('#login-password-error');
    await error.waitFor();
    await expect(error.textContent()).resolves.toContain('don’t match');
  });

  it('shows sign-in and sign-up at every width without horizontal scroll', async () => {
    for (const path of ['login', 'signup'] as const) {
      await page.goto(`${stack.url}/${path}`);
      for (const width of widths) {
        await page.setViewportSize({ width, height: 900 });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${path} scrolls sideways at ${width}px`).toBeLessThanOrEqual(0);
        const submit = page.getByRole('button', { name: path === 'login' ? 'Sign in' : 'Create account' });
        expect(await submit.isVisible()).toBe(true);
        await screenshot(page, `${path}-${width}`);
      }
    }
  });

  it('raised no script errors and no CSP violations', () => {
    expect(pageErrors).toEqual([]);
  });
});
