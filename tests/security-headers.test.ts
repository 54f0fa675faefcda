// The site and the edge, locally: every answer of the gateway (pages, assets, config.json, API
// successes and errors, 404s, refusals, malformed requests, WebSocket refusals) carries the
// security headers; CORS admits the site's own origin only; the WebSocket checks its Origin; and
// a real Chromium runs the dashboard under the Content-Security-Policy with no violation, while
// the policy does block what it should (a foreign connect, eval, being framed).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSiteBuilt, launchChromium, readNumber, siteDir, uniqueEmail, watchForPageErrors } from './e2e/browser';
import { rawRequest, type RawResponse } from './faults/support/raw-http';
import { api } from './support/client';
import { startTestStack, type TestStack } from './support/stack';
import { refusedStatus } from './support/ws-client';

const periodMs = 1000;
let stack: TestStack;
let client: ReturnType<typeof api>;
let browser: Browser;
let token = '';

beforeAll(async () => {
  await ensureSiteBuilt();
  [stack, browser] = await Promise.all([startTestStack({ periodMs, tickMs: 50, siteDir }), launchChromium()]);
  client = api(stack.url);
  token = (await client.signup()).token;
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

function expectSecurityHeaders(r: RawResponse, what: string): void {
  const csp = r.header('content-security-policy') ?? '';
  expect(csp, `${what}: CSP`).toContain("frame-ancestors 'none'");
  expect(csp, `${what}: CSP`).toContain("default-src 'self'");
  expect(csp, `${what}: CSP`).toContain("object-src 'none'");
  expect(csp, `${what}: CSP`).not.toContain('unsafe-eval');
  const maxAge = Number(/max-age=(\d+)/.exec(r.header('strict-transport-security') ?? '')?.[1] ?? 0);
  expect(maxAge, `${what}: HSTS max-age`).toBeGreaterThanOrEqual(31_536_000);
  expect(r.header('x-content-type-options'), `${what}: nosniff`).toBe('nosniff');
  expect(['no-referrer', 'strict-origin-when-cross-origin', 'same-origin', 'strict-origin'], `${what}: Referrer-Policy`).toContain(r.header('referrer-policy'));
}

describe('security headers', () => {
  it('are on every answer of the local gateway', async () => {
    const asset = fs.readdirSync(path.join(siteDir, '_next', 'static', 'chunks')).find((f) => f.endsWith('.js'));
    const requests: Array<[string, Parameters<typeof rawRequest>[1], number]> = [
      ['the home page', { method: 'GET', target: '/' }, 200],
      ['the sign-in page', { method: 'GET', target: '/login' }, 200],
      ['the sign-up page', { method: 'GET', target: '/signup' }, 200],
      ['the dashboard page', { method: 'GET', target: '/dashboard' }, 200],
      ['a page, HEAD', { method: 'HEAD', target: '/login' }, 200],
      ['a script asset', { method: 'GET', target: `/_next/static/chunks/${asset ?? 'missing.js'}` }, 200],
      ['config.json', { method: 'GET', target: '/config.json' }, 200],
      ['a missing page', { method: 'GET', target: '/no-such-page' }, 404],
      ['a POST to a page', { method: 'POST', target: '/login', body: 'x' }, 405],
      ['API health', { method: 'GET', target: '/api/health' }, 200],
      ['API success with a token', { method: 'GET', target: '/api/user/profile', headers: [['Authorization', `Bearer ${token}`]] }, 200],
      ['API 401', { method: 'GET', target: '/api/user/profile' }, 401],
      ['API 400', { method: 'POST', target: '/api/auth/signup', headers: [['Content-Type', 'application/json']], body: '{"email":' }, 400],
      ['API 404 (no route)', { method: 'GET', target: '/api/nope' }, 404],
      ['API 404 (no session)', { method: 'POST', target: '/api/session/stop', headers: [['Authorization', `Bearer ${token}`]] }, 404],
      ['API 405', { method: 'GET', target: '/api/session/start' }, 405],
      ['API 413 (handler)', { method: 'POST', target: '/api/auth/login', headers: [['Content-Type', 'application/json']], body: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(20_000) }) }, 413],
      ['API 413 (gateway)', { method: 'POST', target: '/api/auth/login', body: 'x'.repeat(1_100_000) }, 413],
      ['a CORS preflight', { method: 'OPTIONS', target: '/api/session/start', headers: [['Origin', 'https://evil.example'], ['Access-Control-Request-Method', 'POST']] }, 204],
      ['malformed HTTP', { method: 'GET', target: '/api/health', headers: [['Content-Length', '1'], ['Content-Length', '2']] }, 400],
      ['headers too large', { method: 'GET', target: '/', headers: [['X-Big', 'a'.repeat(20_000)]] }, 431],
      ['no Host header', Buffer.from('GET / HTTP/1.1\r\nConnection: close\r\n\r\n'), 400],
      ['a WebSocket handshake refused (no token)', { method: 'GET', target: '/ws', headers: [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'AAAAAAAAAAAAAAAAAAAAAA=='], ['Sec-WebSocket-Version', '13']] }, 401],
      ['a WebSocket handshake on a wrong path', { method: 'GET', target: '/socket', headers: [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'AAAAAAAAAAAAAAAAAAAAAA=='], ['Sec-WebSocket-Version', '13']] }, 404],
    ];
    for (const [what, request, status] of requests) {
      const r = await rawRequest(stack.port, request);
      expect(r.status, what).toBe(status);
      expectSecurityHeaders(r, what);
    }
    console.log(`[security-headers] ${requests.length} kinds of answer checked for CSP (frame-ancestors 'none'), HSTS, nosniff and Referrer-Policy`);
  });
});

describe('CORS', () => {
  const preflight = (origin: string, path = '/api/session/start'): Promise<RawResponse> =>
    rawRequest(stack.port, { method: 'OPTIONS', target: path, headers: [['Origin', origin], ['Access-Control-Request-Method', 'POST'], ['Access-Control-Request-Headers', 'authorization,content-type']] });
  const actual = (origin: string, path = '/api/health', auth = false): Promise<RawResponse> =>
    rawRequest(stack.port, { method: 'GET', target: path, headers: [['Origin', origin], ...(auth ? ([['Authorization', `Bearer ${token}`]] as Array<[string, string]>) : [])] });

  it("admits the site's own origin, on preflights and actual requests, errors included", async () => {
    for (const origin of [stack.url, stack.url.replace('127.0.0.1', 'localhost')]) {
      const p = await preflight(origin);
      expect(p.header('access-control-allow-origin')).toBe(origin);
      expect(p.header('access-control-allow-methods')).toMatch(/POST/);
      expect(p.header('access-control-allow-headers')).toMatch(/authorization/);
      expect(p.header('access-control-allow-credentials')).not.toBe('true');
      for (const [path, auth] of [['/api/health', false], ['/api/user/profile', true], ['/api/user/profile', false], ['/api/nope', false]] as const) {
        const a = await actual(origin, path, auth);
        expect(a.header('access-control-allow-origin'), `${path}`).toBe(origin);
        expect(a.header('vary') ?? '').toMatch(/origin/i);
      }
    }
  });

  it('admits no other origin', async () => {
    const foreign = ['https://evil.example', 'null', `http://127.0.0.1:${stack.port + 1}`, `https://127.0.0.1:${stack.port}`, `${stack.url}.evil.example`, `http://evil.example?${stack.url}`, `${stack.url}, https://evil.example`];
    for (const origin of foreign) {
      const p = await preflight(origin);
      expect(p.header('access-control-allow-origin'), `preflight from ${origin}`).toBeUndefined();
      expect(p.header('access-control-allow-methods'), `preflight from ${origin}`).toBeUndefined();
      for (const auth of [false, true]) {
        const a = await actual(origin, auth ? '/api/user/profile' : '/api/health', auth);
        expect(a.header('access-control-allow-origin'), `request from ${origin}`).toBeUndefined();
      }
    }
  });
});

describe('the WebSocket Origin check', () => {
  it('refuses a foreign Origin (403), accepts its own and none (a non-browser client) with a good token', async () => {
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${stack.port + 1}`, `${stack.url}.evil.example`]) {
      expect(await refusedStatus(stack.wsUrl, token, { origin }), origin).toBe(403);
    }
    expect(await refusedStatus(stack.wsUrl, token, { origin: stack.url })).toBe(101);
    expect(await refusedStatus(stack.wsUrl, token)).toBe(101);
    expect(await refusedStatus(stack.wsUrl, undefined)).toBe(401);
    expect(await refusedStatus(stack.wsUrl, 'garbage', { origin: stack.url })).toBe(401);
  });
});

describe('the Content-Security-Policy in a real browser', () => {
  async function violations(page: Page): Promise<Array<{ directive: string; blocked: string }>> {
    return page.evaluate(() => (window as unknown as { __csp: Array<{ directive: string; blocked: string }> }).__csp ?? []);
  }

  it('runs the whole dashboard with no violation, and blocks a foreign connect, eval, a foreign script and framing', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
    await context.addInitScript(() => {
      const w = window as unknown as { __csp: Array<{ directive: string; blocked: string }> };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__csp.push({ directive: e.effectiveDirective, blocked: e.blockedURI }));
    });
    const page = await context.newPage();
    const pageErrors = watchForPageErrors(page);
    const cspConsole: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspConsole.push(m.text());
    });

    // The normal path: sign up, go live, run a session, stop it, visit every page.
    const home = await page.goto(`${stack.url}/signup`);
    expect(home?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.getByLabel('Email address').fill(uniqueEmail('csp'));
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/dashboard$/);
    await page.getByTestId('connection-status').and(page.locator('[data-state="live"]')).waitFor();
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.getByRole('button', { name: 'Stop session' }).waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="balance"]')?.textContent) < 99, undefined, { timeout: 10_000 });
    expect(await readNumber(page, 'balance')).toBeLessThan(99);
    await page.getByRole('button', { name: 'Stop session' }).click();
    await page.getByRole('button', { name: 'Start session' }).waitFor();
    const visited: string[] = [];
    for (const p of ['/credits', '/usage', '/dashboard', '/no-such-page']) {
      if (p !== '/no-such-page' && !fs.existsSync(path.join(siteDir, `${p.slice(1)}.html`))) continue;
      await page.goto(`${stack.url}${p}`);
      await page.waitForLoadState('networkidle');
      visited.push(p);
    }
    expect(await violations(page)).toEqual([]);
    expect(cspConsole).toEqual([]);
    expect(pageErrors).toEqual([]);

    // The policy is enforced: a connection to another origin, eval, and being framed are blocked.
    await page.goto(`${stack.url}/dashboard`);
    await page.getByTestId('connection-status').and(page.locator('[data-state="live"]')).waitFor();
    // Code the page runs itself (DevTools-initiated evaluation is exempt from CSP, so each probe is
    // a script element whose work runs in a later task, as injected markup would).
    await page.evaluate((port) => {
      const s = document.createElement('script');
      s.textContent = `setTimeout(function () {
        try { eval('1 + 1'); window.__evalResult = 'ran'; } catch (e) { window.__evalResult = 'blocked'; }
        fetch('http://127.0.0.1:${port + 1}/steal').then(function () { window.__fetchResult = 'fetched'; }, function () { window.__fetchResult = 'blocked'; });
        var x = document.createElement('script'); x.src = 'https://evil.example/x.js'; document.head.appendChild(x);
      }, 0);`;
      document.head.appendChild(s);
    }, stack.port);
    await page.waitForFunction(() => (window as unknown as { __fetchResult?: string }).__fetchResult !== undefined);
    await page.waitForFunction(() => (window as unknown as { __csp: unknown[] }).__csp.length >= 3, undefined, { timeout: 5000 });
    const probes = await page.evaluate(() => {
      const w = window as unknown as { __evalResult?: string; __fetchResult?: string };
      return { evalResult: w.__evalResult, fetchResult: w.__fetchResult };
    });
    expect(probes).toEqual({ evalResult: 'blocked', fetchResult: 'blocked' });
    const seen = await violations(page);
    expect(seen.map((v) => `${v.directive} ${v.blocked}`).sort()).toEqual([
      `connect-src http://127.0.0.1:${stack.port + 1}/steal`,
      'script-src eval',
      'script-src-elem https://evil.example/x.js',
    ]);
    const framer = await context.newPage();
    const refusedFrame = new Promise<string>((resolve) => framer.on('console', (m) => /frame-ancestors|Refused to frame/i.test(m.text()) && resolve(m.text())));
    await framer.setContent(`<iframe src="${stack.url}/login" width="400" height="300"></iframe>`);
    expect(await Promise.race([refusedFrame, new Promise<string>((r) => setTimeout(() => r('not refused'), 10_000))])).toMatch(/frame-ancestors/);
    await context.close();
    console.log(`[security-headers] Chromium ran sign-up, a live session and ${visited.length} more pages under the CSP with 0 violations; a foreign fetch, eval, a foreign script and framing were blocked`);
  });
});
