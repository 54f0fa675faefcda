// The admin console in a real browser, while the user it acts on watches their dashboard: the
// admin finds the user, grants credits (the user's page shows them at once) and ends the live
// session after a confirm step (the user's page says "Session stopped"). A normal user sees
// nothing of /admin, and the admin API answers them 403. Screenshots at 320 and 1440 px.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminUserResponse } from '../../functions/wire';
import { api } from '../support/client';
import { startTestStack, type TestStack } from '../support/stack';
import { ensureSiteBuilt, launchChromium, readNumber, readToken, screenshot, siteDir, tokenKey, uniqueEmail, watchForPageErrors } from './browser';

const periodMs = 1000;
const adminEmail = 'admin@example.com';

let stack: TestStack;
let client: ReturnType<typeof api>;
let browser: Browser;
let userContext: BrowserContext;
let adminContext: BrowserContext;
let userPage: Page;
let adminPage: Page;
let user: Awaited<ReturnType<ReturnType<typeof api>['signup']>>;
const errors: string[][] = [];

beforeAll(async () => {
  await ensureSiteBuilt();
  [stack, browser] = await Promise.all([startTestStack({ periodMs, tickMs: 50, siteDir, env: { ADMIN_EMAILS: adminEmail } }), launchChromium()]);
  client = api(stack.url);
  userContext = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  adminContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  userPage = await userContext.newPage();
  adminPage = await adminContext.newPage();
  errors.push(watchForPageErrors(userPage), watchForPageErrors(adminPage));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the admin console, with the user watching', () => {
  it('a user with a live session watches their dashboard, with no Admin link', async () => {
    user = await client.signup(uniqueEmail('watched'));
    expect((await client.start(user.token)).status).toBe(201);
    await userPage.goto(`${stack.url}/login`);
    await userPage.evaluate(([key, token]) => window.localStorage.setItem(key, token), [tokenKey, user.token] as const);
    await userPage.goto(`${stack.url}/dashboard`);
    await userPage.getByRole('button', { name: 'Stop session' }).waitFor();
    await userPage.getByTestId('connection-status').and(userPage.locator('[data-state="live"]')).waitFor();
    await expect(userPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).count()).resolves.toBe(0);
  });

  it('an admin signs up, opens Admin from the navigation and finds the user', async () => {
    await adminPage.goto(`${stack.url}/signup`);
    await adminPage.getByLabel('Email address').fill(adminEmail);
    await adminPage.getByLabel('Password').fill('correct horse battery');
    await adminPage.getByRole('button', { name: 'Create account' }).click();
    await adminPage.waitForURL(/\/dashboard$/);
    await adminPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await adminPage.waitForURL(/\/admin$/);
    await adminPage.getByLabel('Email or user id').fill(user.email.slice(0, 12));
    await adminPage.getByRole('button', { name: 'Search' }).click();
    const result = adminPage.getByTestId('user-results').getByRole('button', { name: new RegExp(user.email.replace(/[.+]/g, '\\$&')) });
    await result.click();
    await adminPage.waitForURL((url) => url.searchParams.get('user') === user.user.id);
    await adminPage.getByTestId('user-detail').and(adminPage.locator(`[data-user-id="${user.user.id}"]`)).waitFor();
    await expect(adminPage.getByTestId('admin-session').getByRole('button', { name: 'End session…' }).isVisible()).resolves.toBe(true);
  });

  it('grants credits with a reason: the user’s page shows them at once, and the ledger names the admin', async () => {
    const before = await readNumber(userPage, 'balance');
    const form = adminPage.getByTestId('adjust-credits');
    await form.getByText('Grant', { exact: true }).click();
    await form.getByLabel('Credits').fill('250');
    await form.getByLabel('Reason').fill('Goodwill for the e2e outage');
    await form.getByRole('button', { name: 'Grant credits' }).click();
    await expect(form.getByTestId('adjust-success').textContent()).resolves.toContain('Granted 250 credits');

    await userPage.waitForFunction((min) => Number(document.querySelector('[data-testid="balance"]')?.textContent) > min, before + 200, { timeout: 5000 });
    const status = await client.status(user.token);
    expect(Math.abs((await readNumber(userPage, 'balance')) - status.body.user.credits)).toBeLessThanOrEqual(2);

    const adminToken = await readToken(adminPage);
    const detail = await client.call<AdminUserResponse>('GET', `/api/admin/user?id=${user.user.id}`, { token: adminToken });
    const grant = detail.body.ledger.find((e) => e.reason === 'adjustment');
    expect(grant?.creditsDeducted).toBe(-250);
    expect(grant?.actorEmail).toBe(adminEmail);
    expect(grant?.note).toBe('Goodwill for the e2e outage');
    await adminPage.getByTestId('admin-ledger-table').locator('table').getByText('“Goodwill for the e2e outage”').waitFor();
  });

  it('ends the user’s session after a confirm step: the user’s page says it was stopped', async () => {
    await adminPage.getByRole('button', { name: 'End session…' }).click();
    const confirm = adminPage.getByTestId('end-session-confirm');
    await confirm.waitFor();
    // Focus starts on the safe choice.
    await expect(adminPage.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Cancel');
    await screenshot(adminPage, 'admin-end-session-confirm-1440');
    await confirm.getByRole('button', { name: 'Yes, end the session' }).click();
    await adminPage.getByTestId('end-session-success').waitFor();

    const banner = userPage.getByTestId('ended-banner');
    await banner.locator('[data-reason="stopped"]').waitFor({ timeout: 5000 });
    await expect(banner.textContent()).resolves.toContain('Session stopped');
    await userPage.getByRole('button', { name: 'Start session' }).waitFor();
    const status = await client.status(user.token);
    expect(status.body.session?.isActive).toBe(false);
    expect(status.body.session?.endReason).toBe('stopped');
    await adminPage.getByTestId('admin-session').getByRole('button', { name: 'End session…' }).waitFor({ state: 'detached', timeout: 2000 });
  });

  it('shows the admin pages at 320 and 1440 px without horizontal scroll', async () => {
    for (const path of [`admin?user=${user.user.id}`, 'admin/system'] as const) {
      await adminPage.goto(`${stack.url}/${path}`);
      await (path === 'admin/system' ? adminPage.getByTestId('system-stats') : adminPage.getByTestId('admin-ledger-table')).waitFor();
      if (path === 'admin/system') {
        await adminPage.getByTestId('chart-charges').locator('svg.recharts-surface').first().waitFor();
        expect(Number(await adminPage.getByTestId('system-active').textContent())).toBeGreaterThanOrEqual(0);
      }
      for (const width of [320, 1440]) {
        await adminPage.setViewportSize({ width, height: 900 });
        // Charts follow their container's size a frame or two later.
        await adminPage.waitForFunction(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth, null, { timeout: 3000 }).catch(() => {});
        const overflow = await adminPage.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${path} scrolls sideways at ${width}px`).toBeLessThanOrEqual(0);
        if (width < 768) {
          for (const button of await adminPage.getByRole('button').filter({ visible: true }).all()) {
            const box = await button.boundingBox();
            if (box !== null) expect(box.height, `${await button.textContent()} is too small to touch`).toBeGreaterThanOrEqual(44);
          }
        }
        await screenshot(adminPage, `${path.startsWith('admin?') ? 'admin' : 'admin-system'}-${width}`);
      }
    }
    await adminPage.setViewportSize({ width: 1440, height: 900 });
  });

  it('shows a normal user nothing of /admin, and the admin API answers them 403', async () => {
    for (const path of ['admin', `admin?user=${user.user.id}`, 'admin/system']) {
      await userPage.goto(`${stack.url}/${path}`);
      await userPage.getByTestId('not-found').waitFor();
      await expect(userPage.getByRole('heading', { name: 'This page doesn’t exist' }).isVisible()).resolves.toBe(true);
      await expect(userPage.getByText('Find a user').count()).resolves.toBe(0);
      await expect(userPage.getByTestId('system-stats').count()).resolves.toBe(0);
    }
    const statuses = await userPage.evaluate(async (userId) => {
      const token = window.localStorage.getItem('minute-credits.token') ?? '';
      const config = (await (await fetch('/config.json')).json()) as { apiUrl: string };
      const call = async (method: string, path: string, body?: unknown) =>
        (
          await fetch(`${config.apiUrl}${path}`, {
            method,
            headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
            body: body ? JSON.stringify(body) : undefined,
          })
        ).status;
      return [
        await call('GET', '/api/admin/users?q='),
        await call('GET', `/api/admin/user?id=${userId}`),
        await call('POST', '/api/admin/credits', { userId, delta: 1000, reason: 'self-service' }),
        await call('POST', '/api/admin/session/end', { userId }),
        await call('GET', '/api/admin/system'),
      ];
    }, user.user.id);
    expect(statuses).toEqual([403, 403, 403, 403, 403]);
    await screenshot(userPage, 'admin-as-normal-user-1024');
  });

  it('raised no script errors and no CSP violations', () => {
    expect(errors.flat()).toEqual([]);
  });
});
