// Shared set-up for the browser tests: the built site (built here when missing or older than
// its sources), Debian's Chromium through playwright-core, and the screenshot folder.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const siteDir = path.join(repoRoot, 'web', 'out');
export const screenshotDir = path.join(repoRoot, 'test-results', 'screenshots');
export const widths = [320, 768, 1024, 1440] as const;
export const tokenKey = 'minute-credits.token';

const webDir = path.join(repoRoot, 'web');
const sourceDirs = ['app', 'components', 'hooks', 'lib'];
const lockDir = path.join(repoRoot, 'test-results', '.web-build-lock');

function newestSourceMs(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  };
  for (const dir of sourceDirs) if (fs.existsSync(path.join(webDir, dir))) walk(path.join(webDir, dir));
  for (const file of ['next.config.ts', 'postcss.config.mjs', 'tsconfig.json']) {
    const full = path.join(webDir, file);
    if (fs.existsSync(full)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function siteIsFresh(): boolean {
  const marker = path.join(siteDir, 'index.html');
  return fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= newestSourceMs();
}

/**
 * Builds the static site (`next build web`) unless web/out is newer than every source file.
 * Test files run in parallel processes, so a lock directory lets one build while others wait.
 */
export async function ensureSiteBuilt(): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (siteIsFresh()) return;
    try {
      fs.mkdirSync(path.dirname(lockDir), { recursive: true });
      fs.mkdirSync(lockDir);
    } catch {
      // Another test file is building; a lock older than the deadline is a crashed build.
      const ageMs = Date.now() - (fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (ageMs > 180_000) fs.rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another build of web/');
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      if (!siteIsFresh()) {
        execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build', 'web'], {
          cwd: repoRoot,
          env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
          stdio: 'pipe',
        });
      }
    } finally {
      fs.rmSync(lockDir, { recursive: true, force: true });
    }
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Collects uncaught page errors and console errors that are not expected HTTP failures. */
export function watchForPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    // The browser logs every 4xx it receives; the tests provoke some on purpose.
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
    // A revoked token's WebSocket handshake is refused with a 401 (the page then signs out).
    if (/^WebSocket connection to .* failed: HTTP Authentication failed/.test(text)) return;
    errors.push(`console: ${text}`);
  });
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

/** The hh:mm:ss text as seconds. */
export function clockSeconds(text: string | null): number {
  const match = /^(\d+):(\d{2}):(\d{2})$/.exec((text ?? '').trim());
  if (match === null) throw new Error(`not a clock: ${text}`);
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
}

export async function readNumber(page: Page, testId: string): Promise<number> {
  const text = await page.getByTestId(testId).textContent();
  const value = Number((text ?? '').trim());
  if (!Number.isInteger(value)) throw new Error(`${testId} is not a number: ${text}`);
  return value;
}

export async function readToken(page: Page): Promise<string> {
  const token = await page.evaluate((key) => window.localStorage.getItem(key), tokenKey);
  if (token === null) throw new Error('no token in localStorage');
  return token;
}

export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${process.pid}-${Math.floor(Math.random() * 1e6)}@example.com`;
}
