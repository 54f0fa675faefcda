// Fault (a): PostgreSQL stopped and started again while sessions run. This file starts its own
// embedded PostgreSQL on a fixed port, runs the local stack on it, stops the server mid-session
// and starts it again on the same port. Meanwhile every endpoint answers 503 `unavailable`
// quickly (no 500, no hang); afterwards nothing is half-written, every session ends exactly
// where the billing rule puts it, and the audit (in-process and `npm run audit`) is clean.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/free-port';
import { startEmbeddedPostgres, type LocalPostgres } from '../../infra/local/postgres';
import type { ServerMessage } from '../../functions/wire';
import { api, type ApiResult } from '../support/client';
import { connectSocket, refusedStatus, type TestSocket } from '../support/ws-client';
import { audit, ruleViolations, sessionRows, setCredits, sleep, startFaultStack, summary, timed, waitUntil, type FaultStack } from './support/harness';

const periodMs = 150;
const outageMs = 3000;
const maxAnswerMs = 5000;

let pgDir: string;
let pgPort: number;
let server: LocalPostgres | undefined;
let stack: FaultStack;
let client: ReturnType<typeof api>;

beforeAll(async () => {
  pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-faults-pg-'));
  fs.chmodSync(pgDir, 0o755);
  pgPort = await freePort();
  server = await startEmbeddedPostgres({ dataDir: path.join(pgDir, 'data'), port: pgPort, persistent: true });
  stack = await startFaultStack({ periodMs, tickMs: 50, databaseUrl: server.url });
  client = api(stack.url);
});

afterAll(async () => {
  await stack?.stop();
  await server?.stop();
  fs.rmSync(pgDir, { recursive: true, force: true });
});

function npmAudit(databaseUrl: string): { status: number | null; output: string } {
  const r = spawnSync('npm', ['run', '--silent', 'audit'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, CREDIT_PERIOD_MS: String(periodMs), LOG_LEVEL: 'SILENT' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('PostgreSQL stopped and started while sessions run', () => {
  it('answers 503 meanwhile, loses and doubles nothing, and ends every session at its exact time', async () => {
    // Prepare: sessions that run out during the outage, just after it and well after it; one
    // that is stopped during the outage (refused) and after it; sockets listening.
    const balances = [6, 10, 16, 24, 32, 48];
    const runners = await Promise.all(balances.map(() => client.signup()));
    for (const [i, u] of runners.entries()) await setCredits(stack.sql, u.user.id, balances[i] ?? 0);
    const stopper = await client.signup();
    const idle = await client.signup();
    const logoutUser = await client.signup();
    const sockets: TestSocket[] = await Promise.all(runners.slice(0, 3).map((u) => connectSocket(stack.wsUrl, u.token)));
    const idleSocket = await connectSocket(stack.wsUrl, idle.token);

    const starts = await Promise.all([...runners, stopper].map((u) => client.start(u.token)));
    for (const s of starts) expect(s.status).toBe(201);
    const sessionIds = starts.map((s) => s.body.session.id);
    const stopperSessionId = sessionIds[sessionIds.length - 1] ?? '';
    const countsBefore = await stack.sql.query<{ users: number; rows: number; sessions: number; revoked: number; purchases: number }>(
      `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM credit_logs)::int AS rows,
              (SELECT count(*) FROM sessions)::int AS sessions, (SELECT count(*) FROM revoked_tokens)::int AS revoked,
              (SELECT count(*) FROM purchases)::int AS purchases`,
    );
    await sleep(500);

    // Act: stop PostgreSQL (a fast shutdown: open connections are cut), hammer the API, start it again.
    const stoppedAt = Date.now();
    await server?.stop();
    server = undefined;
    const probes: Array<[string, () => Promise<ApiResult | number>]> = [
      ['GET /api/health', () => client.call('GET', '/api/health')],
      ['GET /api/session/status', () => client.status(runners[5]?.token ?? '')],
      ['GET /api/user/profile', () => client.profile(idle.token)],
      ['POST /api/session/start', () => client.start(idle.token)],
      ['POST /api/session/stop', () => client.stop(stopper.token)],
      ['POST /api/auth/login', () => client.call('POST', '/api/auth/login', { body: { email: idle.email, password: idle.password } })],
      ['POST /api/auth/signup', () => client.call('POST', '/api/auth/signup', { body: { email: `outage-${Date.now()}-${Math.random()}@example.com`, password: 'outage password' } })],
      ['POST /api/auth/logout', () => client.call('POST', '/api/auth/logout', { token: logoutUser.token })],
      ['POST /api/credits/purchase', () => client.call('POST', '/api/credits/purchase', { token: idle.token, body: { pack: 'starter', idempotencyKey: `outage-${Date.now()}` } })],
      ['GET /api/credits/ledger', () => client.call('GET', '/api/credits/ledger', { token: idle.token })],
      ['GET /api/session/history', () => client.call('GET', '/api/session/history', { token: idle.token })],
      ['WS $connect', () => refusedStatus(stack.wsUrl, idle.token)],
    ];
    const answers: Array<{ probe: string; status: number; code: string | undefined; ms: number }> = [];
    let wsErrors = 0;
    while (Date.now() - stoppedAt < outageMs) {
      const round = await Promise.all(
        probes.map(async ([probe, run]) => {
          const { value, ms } = await timed(run);
          return typeof value === 'number' ? { probe, status: value, code: undefined, ms } : { probe, status: value.status, code: value.body?.error?.code, ms };
        }),
      );
      answers.push(...round);
      // A status request on an open socket gets an error message back, and the socket stays open.
      const before = idleSocket.messages.length;
      idleSocket.send(JSON.stringify({ action: 'status' }));
      await waitUntil(async () => idleSocket.messages.length > before, maxAnswerMs, 'a WebSocket reply during the outage');
      const reply = idleSocket.messages[before];
      if (reply?.type === 'error' && reply.error.code === 'unavailable') wsErrors += 1;
      else throw new Error(`expected an unavailable error on the socket, got ${JSON.stringify(reply)}`);
      await sleep(100);
    }
    const restartStarted = Date.now();
    server = await startEmbeddedPostgres({ dataDir: path.join(pgDir, 'data'), port: pgPort, persistent: true });
    const restartedAt = Date.now();

    // Assess (outage): every answer was a quick 503 `unavailable` JSON error (the WebSocket handshake a 503 refusal).
    for (const a of answers) {
      expect.soft(a.status, `${a.probe} during the outage`).toBe(503);
      if (a.probe !== 'WS $connect') expect.soft(a.code, `${a.probe} error code`).toBe('unavailable');
      expect.soft(a.ms, `${a.probe} answer time`).toBeLessThan(maxAnswerMs);
    }
    expect(answers.filter((a) => a.status === 503)).toHaveLength(answers.length);
    expect(idleSocket.ws.readyState).toBe(idleSocket.ws.OPEN);

    // Assess (after): the API comes back by itself (the pool reconnects).
    await waitUntil(async () => (await client.call('GET', '/api/health')).status === 200, 20_000, 'health after the restart');
    const recoveredMs = Date.now() - restartedAt;
    // Nothing refused during the outage left a trace: no session for `idle`, no new user, no revocation, no purchase.
    const countsAfterRestart = await stack.sql.query<{ users: number; sessions: number; revoked: number; purchases: number }>(
      `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM sessions)::int AS sessions,
              (SELECT count(*) FROM revoked_tokens)::int AS revoked, (SELECT count(*) FROM purchases)::int AS purchases`,
    );
    const b = countsBefore.rows[0];
    expect(countsAfterRestart.rows[0]).toEqual({ users: b?.users, sessions: b?.sessions, revoked: b?.revoked, purchases: b?.purchases });
    expect((await client.profile(logoutUser.token)).status).toBe(200);
    const idleLedger = await stack.sql.query(`SELECT reason FROM credit_logs WHERE user_id = $1`, [idle.user.id]);
    expect(idleLedger.rows).toEqual([{ reason: 'signup_grant' }]);

    // The stop refused during the outage did nothing; a stop now charges exactly what is due.
    const stopped = await client.stop(stopper.token);
    expect(stopped.status).toBe(200);
    expect(stopped.body.session.id).toBe(stopperSessionId);

    // Every runner ends at exactly t0 + B·P, found by the tick or its timer after the restart.
    await waitUntil(async () => [...(await sessionRows(stack.sql, sessionIds)).values()].every((s) => !s.isActive), 20_000, 'every session to end');
    const rows = await sessionRows(stack.sql, sessionIds);
    const violations: string[] = [];
    for (const [i, id] of sessionIds.entries()) {
      const s = rows.get(id);
      if (s === undefined) throw new Error(`session ${id} is missing`);
      const balance = i < balances.length ? (balances[i] ?? 0) : 100;
      violations.push(...ruleViolations(s, balance, periodMs));
      if (i < balances.length) expect(s.endReason).toBe('exhausted');
    }
    expect(violations).toEqual([]);
    expect(rows.get(stopperSessionId)?.endReason).toBe('stopped');
    const endedDuringOutage = sessionIds.slice(0, balances.length).filter((id) => {
      const s = rows.get(id);
      return s !== undefined && s.endMs !== null && s.endMs > stoppedAt && s.endMs < restartedAt;
    }).length;

    // The sockets heard the end, with the exact end time.
    for (const [i, socket] of sockets.entries()) {
      const ended = await socket.next((m: ServerMessage) => m.type === 'session.ended', 10_000);
      if (ended.type !== 'session.ended') throw new Error('unreachable');
      expect(Date.parse(ended.session.endTime ?? '') - Date.parse(ended.session.startTime)).toBe((balances[i] ?? 0) * periodMs);
    }
    await Promise.all([...sockets, idleSocket].map((s) => s.close()));

    expect(await audit(periodMs)).toEqual([]);
    const cli = npmAudit(server.url);
    expect(cli.output).toContain('No discrepancies');
    expect(cli.status).toBe(0);

    const byProbe = new Map<string, number>();
    for (const a of answers) byProbe.set(a.probe, (byProbe.get(a.probe) ?? 0) + 1);
    summary(
      'postgres-restart',
      `1 stop/start of PostgreSQL (down ${restartedAt - stoppedAt} ms, restart took ${restartedAt - restartStarted} ms, API healthy ${recoveredMs} ms later); ` +
        `${answers.length} HTTP/WS requests during the outage over ${byProbe.size} endpoints, all 503 (slowest ${Math.max(...answers.map((a) => a.ms))} ms), ` +
        `${wsErrors} WebSocket status frames answered 'unavailable'; ${sessionIds.length} live sessions (${endedDuringOutage} ran out during the outage) ended exactly per the rule; ` +
        `audit clean, npm run audit exit ${cli.status}`,
    );
  });

  it('a connection cut between two statements of a transaction fails that transaction (unavailable), not the process', async () => {
    // Prepare: a transaction that waits between statements (as one does around a payment call),
    // its server process found from another connection.
    const { withTransaction } = await import('../../functions/adapters/pg');
    const { isAppError } = await import('../../functions/core/errors');
    let release: () => void = () => undefined;
    const waiting = new Promise<void>((r) => (release = r));
    let pid = 0;
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const tx = withTransaction(async (client) => {
        pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
        await waiting;
        await client.query('SELECT 1');
      });
      await waitUntil(async () => pid !== 0, 5000, 'the transaction to start');

      // Act: the server ends that connection (as a restart or failover does), then the transaction goes on.
      await stack.sql.query('SELECT pg_terminate_backend($1)', [pid]);
      await sleep(300);
      release();
      const outcome = await tx.then(
        () => 'committed',
        (err: unknown) => (isAppError(err) ? err.code : String(err)),
      );

      // Assess
      expect(uncaught).toEqual([]);
      expect(outcome).toBe('unavailable');
      expect((await client.call('GET', '/api/health')).status).toBe(200);
      summary('postgres-cut', `1 connection cut by the server between two statements of a transaction: the transaction failed '${outcome}', no uncaught error, the API healthy after`);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('npm run audit exits 1 with a readable report on a database with a discrepancy', async () => {
    // Prepare: a throwaway database on the same server, migrated, with a balance that does not match its ledger.
    if (server === undefined) throw new Error('PostgreSQL is not running');
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    const name = `audit_throwaway_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = server.url.replace(/\/postgres$/, `/${name}`);
    const { migrate } = await import('../../db/migrate');
    await migrate(url);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const { rows } = await db.query<{ id: string }>(`INSERT INTO users (email, password_hash, credits) VALUES ('drift@example.com', 'x', 150) RETURNING id::text`);
    const userId = rows[0]?.id;
    await db.query(`INSERT INTO credit_logs (user_id, credits_deducted, remaining_credits, reason, "timestamp") VALUES ($1, -100, 100, 'signup_grant', now())`, [userId]);
    await db.end();

    // Act
    const cli = npmAudit(url);

    // Assess
    expect(cli.status).toBe(1);
    expect(cli.output).toContain(`balance_mismatch: user ${userId}: credits 150 but the ledger sums to 100`);
    expect(cli.output).toContain(`newest_row_mismatch: user ${userId}`);
    expect(cli.output).toMatch(/2 discrepancies/);
    summary('audit-cli', `npm run audit on the fault database: exit 0; on a throwaway database with a forged balance: exit ${cli.status}, report:\n${cli.output.trim()}`);
    const cleanup = new pg.Client({ connectionString: server.url });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE ${name}`);
    await cleanup.end();
  });
});
