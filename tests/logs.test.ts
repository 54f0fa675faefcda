// What the logs say, read as an operator would: the whole stack runs as a child process
// (`tsx infra/local/main.ts`, as `npm run dev` runs it, at LOG_LEVEL=DEBUG, bcrypt at its
// default cost) with its stdout and stderr captured, while a user signs up, logs in with the
// right and a wrong password, uses the token on HTTP and WebSocket, and logs out. No password
// and no token may appear anywhere in the logs, and every request is one JSON line with its
// route, status and duration.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../infra/local/free-port';
import { api, sleep, waitFor } from './support/client';
import { createTestDatabase } from './support/db';
import { connectSocket, refusedStatus } from './support/ws-client';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let child: ChildProcess;
let workDir: string;
let output = '';
let url = '';

beforeAll(async () => {
  // An empty working directory: no .env of the developer's, no .data of theirs.
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-logs-'));
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(DATABASE_|UPSTASH_|REDIS_URL|JWT_SECRET|WS_CALLBACK_URL|SCHEDULER_ENDPOINT|ALLOWED_ORIGINS|BCRYPT_ROUNDS|LOG_LEVEL)/.test(k)) env[k] = v;
  }
  Object.assign(env, { PORT: String(port), DATABASE_URL: await createTestDatabase(), LOG_LEVEL: 'DEBUG', CREDIT_PERIOD_MS: '100', TICK_MS: '50' });
  child = spawn(process.execPath, ['--import', path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs'), path.join(repoRoot, 'infra', 'local', 'main.ts')], {
    cwd: workDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  await waitFor(async () => (/Minute Credits is running at (http:\/\/\S+?)\s/.exec(output) ? true : undefined), 60_000, 50);
  url = /Minute Credits is running at (http:\/\/\S+?)\s/.exec(output)?.[1] ?? '';
});

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(workDir, { recursive: true, force: true });
});

interface LogLine {
  level?: string;
  message?: string;
  route?: string;
  status?: number;
  durationMs?: number;
  [k: string]: unknown;
}

describe('the logs of a running stack', () => {
  it('never contain a password or a token, and have one JSON line per request with route, status and duration', async () => {
    // Prepare: secrets that are easy to search for.
    const client = api(url);
    const password = `Pw-${randomUUID()}-right`;
    const wrongPassword = `Pw-${randomUUID()}-wrong`;
    const longPassword = `Pw-${randomUUID()}-${'z'.repeat(60)}`; // over 72 bytes: refused
    const email = `logs-${randomUUID()}@example.com`;
    const forged = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(`{"sub":"${randomUUID()}"}`).toString('base64url')}.forgedSignature${randomUUID().replace(/-/g, '')}`;
    const sent: Array<{ route: string; status: number }> = [];
    const record = async <T extends { status: number }>(route: string, p: Promise<T>): Promise<T> => {
      const r = await p;
      sent.push({ route, status: r.status });
      return r;
    };

    // Act
    const signup = await record('POST /api/auth/signup', client.call('POST', '/api/auth/signup', { body: { email, password } }));
    expect(signup.status).toBe(201);
    const token = signup.body.token as string;
    await record('POST /api/auth/signup', client.call('POST', '/api/auth/signup', { body: { email: `x-${email}`, password: longPassword } }));
    const login = await record('POST /api/auth/login', client.call('POST', '/api/auth/login', { body: { email, password } }));
    expect(login.status).toBe(200);
    const secondToken = login.body.token as string;
    expect((await record('POST /api/auth/login', client.call('POST', '/api/auth/login', { body: { email, password: wrongPassword } }))).status).toBe(401);
    expect((await record('GET /api/user/profile', client.profile(token))).status).toBe(200);
    expect((await record('POST /api/session/start', client.start(token))).status).toBe(201);
    const socket = await connectSocket(url.replace(/^http/, 'ws') + '/ws', token);
    socket.send(JSON.stringify({ action: 'status' }));
    await socket.next((m) => m.type === 'session.update' && m.session !== null);
    socket.send('not json');
    await socket.next((m) => m.type === 'error');
    await sleep(400);
    expect((await record('GET /api/session/status', client.status(secondToken))).status).toBe(200);
    expect((await record('POST /api/session/stop', client.stop(token))).status).toBe(200);
    expect((await record('GET /api/credits/ledger', client.call('GET', '/api/credits/ledger', { token }))).status).toBe(200);
    await socket.close();
    expect((await record('POST /api/auth/logout', client.call('POST', '/api/auth/logout', { token }))).status).toBe(204);
    expect((await record('GET /api/user/profile', client.profile(token))).status).toBe(401);
    expect((await record('GET /api/user/profile', client.profile(forged))).status).toBe(401);
    expect(await refusedStatus(url.replace(/^http/, 'ws') + '/ws', token)).toBe(401);
    expect(await refusedStatus(url.replace(/^http/, 'ws') + '/ws', forged)).toBe(401);
    await sleep(500);

    // Assess: no secret anywhere, in any form.
    const logs = output;
    if (process.env.LOGS_DUMP !== undefined) fs.writeFileSync(process.env.LOGS_DUMP, logs);
    const secrets: Array<[string, string]> = [
      ['the password', password],
      ['the wrong password', wrongPassword],
      ['the refused long password', longPassword],
      ['the signup token', token],
      ['the login token', secondToken],
      ['a forged token', forged],
    ];
    for (const t of [token, secondToken]) secrets.push(['a token signature', t.split('.')[2] ?? '']);
    for (const [name, value] of secrets) {
      expect(value.length).toBeGreaterThan(20);
      expect(logs.includes(value), `${name} appears in the logs`).toBe(false);
      expect(logs.includes(JSON.stringify(value).slice(1, -1)), `${name} (JSON-escaped) appears in the logs`).toBe(false);
      expect(logs.includes(encodeURIComponent(value)), `${name} (URL-encoded) appears in the logs`).toBe(false);
    }
    expect(logs).not.toMatch(/\$2[aby]\$\d\d\$/); // no password hash either

    // One JSON line per request, with route, status and duration.
    const lines = logs.split('\n').filter((l) => l.startsWith('{'));
    const parsed = lines.map((l) => JSON.parse(l) as LogLine);
    expect(parsed.some((l) => l.level === 'DEBUG'), 'LOG_LEVEL=DEBUG is in effect').toBe(true);
    const requestLines = parsed.filter((l) => l.message === 'request');
    for (const l of requestLines) {
      expect(typeof l.route).toBe('string');
      expect(typeof l.status).toBe('number');
      expect(typeof l.durationMs).toBe('number');
      expect(typeof l.requestId).toBe('string');
    }
    const key = (x: { route?: string; status?: number }): string => `${x.route} ${x.status}`;
    expect(requestLines.map(key).sort()).toEqual(sent.map(key).sort());
    const connects = parsed.filter((l) => l.route === '$connect');
    expect(connects.map((l) => l.status).sort()).toEqual([200, 401, 401]);
    const frames = parsed.filter((l) => l.route === '$default');
    expect(frames).toHaveLength(2);
    for (const l of [...connects, ...frames]) {
      expect(typeof l.durationMs).toBe('number');
      expect(typeof l.status).toBe('number');
    }
    expect(parsed.filter((l) => l.route === '$disconnect')).toHaveLength(1);
    expect(parsed.filter((l) => l.level === 'ERROR')).toEqual([]);
    console.log(
      `[logs] ${logs.length} bytes of logs (${lines.length} JSON lines, ${requestLines.length} request lines for ${sent.length} requests, ${connects.length + frames.length} WebSocket lines) ` +
        `searched for ${secrets.length} secrets (raw, JSON-escaped, URL-encoded): none found`,
    );
  });
});
