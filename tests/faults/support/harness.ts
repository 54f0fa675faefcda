// Shared set-up for the fault tests: the real local stack in this process, pointed at a
// PostgreSQL or redis-server the test may own (to stop, kill and restart), a direct pool for
// assertions, the billing rule's expected outcome per session, and one summary line per scenario.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startLocalStack, type LocalStack } from '../../../infra/local/stack';
import { createTestDatabase } from '../../support/db';

export interface FaultStack extends LocalStack {
  /** A direct pool for assertions and set-up (never used by the product). */
  readonly sql: pg.Pool;
}

export async function startFaultStack(opts: {
  periodMs: number;
  tickMs: number;
  databaseUrl?: string;
  redisUrl?: string;
  env?: Record<string, string>;
}): Promise<FaultStack> {
  const databaseUrl = opts.databaseUrl ?? (await createTestDatabase());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-faults-data-'));
  const stack = await startLocalStack({
    port: 0,
    databaseUrl,
    redisUrl: opts.redisUrl,
    dataDir,
    periodMs: opts.periodMs,
    tickMs: opts.tickMs,
    quiet: true,
    env: {
      // The faults make the functions log warnings and errors on purpose; keep the output to the summaries.
      LOG_LEVEL: 'SILENT',
      BCRYPT_ROUNDS: '4',
      SIGNUP_MAX_PER_ADDRESS: '100000',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
      ...opts.env,
    },
  });
  const sql = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  // The PostgreSQL test stops the server under this pool: an idle client's error is expected.
  sql.on('error', () => undefined);
  return {
    ...stack,
    sql,
    async stop() {
      await sql.end().catch(() => undefined);
      await stack.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function audit(periodMs: number): Promise<string[]> {
  const { auditLedger } = await import('../../../functions/core/audit');
  return (await auditLedger(periodMs)).map((d) => `${d.kind} user ${d.userId} ${d.sessionId ?? ''}: ${d.detail}`);
}

/** Sets a balance before any session, through the ledger (an `adjustment` row), so the invariant holds. */
export async function setCredits(sql: pg.Pool, userId: string, credits: number): Promise<void> {
  const client = await sql.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ credits: number }>(`SELECT credits FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    const delta = credits - (rows[0]?.credits ?? 0);
    if (delta === 0) {
      await client.query('COMMIT');
      return;
    }
    await client.query(`UPDATE users SET credits = $2 WHERE id = $1`, [userId, credits]);
    await client.query(
      `INSERT INTO credit_logs (user_id, credits_deducted, remaining_credits, reason, "timestamp") VALUES ($1, $2, $3, 'adjustment', now())`,
      [userId, -delta, credits],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export interface SessionRow {
  id: string;
  userId: string;
  startMs: number;
  endMs: number | null;
  consumed: number;
  isActive: boolean;
  endReason: 'stopped' | 'exhausted' | null;
  /** When the row last changed (the settle that ended it, for an ended session). */
  updatedMs: number;
  credits: number;
  ledgerSum: number;
}

export async function sessionRows(sql: pg.Pool, ids: readonly string[]): Promise<Map<string, SessionRow>> {
  const { rows } = await sql.query<{
    id: string;
    user_id: string;
    start_ms: number;
    end_ms: number | null;
    consumed: number;
    is_active: boolean;
    end_reason: 'stopped' | 'exhausted' | null;
    updated_ms: number;
    credits: number;
    ledger_sum: number;
  }>(
    `SELECT s.id::text, s.user_id::text, (extract(epoch FROM s.start_time) * 1000)::float8 AS start_ms,
            (extract(epoch FROM s.end_time) * 1000)::float8 AS end_ms, s.credits_consumed AS consumed, s.is_active,
            s.end_reason, (extract(epoch FROM s.updated_at) * 1000)::float8 AS updated_ms, u.credits,
            COALESCE((SELECT sum(l.credits_deducted) FROM credit_logs l WHERE l.session_id = s.id), 0)::int AS ledger_sum
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ANY($1::bigint[])`,
    [ids],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        userId: r.user_id,
        startMs: Math.round(r.start_ms),
        endMs: r.end_ms === null ? null : Math.round(r.end_ms),
        consumed: r.consumed,
        isActive: r.is_active,
        endReason: r.end_reason,
        updatedMs: Math.round(r.updated_ms),
        credits: r.credits,
        ledgerSum: r.ledger_sum,
      },
    ]),
  );
}

/**
 * What the billing rule says about one ended session that held `balance` credits at its start
 * (and got no top-up): an empty list when it holds, else what is wrong.
 */
export function ruleViolations(s: SessionRow, balance: number, periodMs: number): string[] {
  const out: string[] = [];
  if (s.isActive || s.endMs === null) return [`session ${s.id} is still active`];
  const elapsed = s.endMs - s.startMs;
  if (s.endReason === 'exhausted') {
    if (elapsed !== balance * periodMs) out.push(`session ${s.id}: exhausted after ${elapsed} ms, ${balance} credits buy ${balance * periodMs} ms`);
    if (s.consumed !== balance) out.push(`session ${s.id}: exhausted with ${s.consumed} of ${balance} credits consumed`);
  } else if (s.endReason === 'stopped') {
    const due = Math.min(balance, 1 + Math.floor(elapsed / periodMs));
    if (s.consumed !== due) out.push(`session ${s.id}: stopped after ${elapsed} ms, ${due} credits due, ${s.consumed} charged`);
    if (elapsed >= balance * periodMs) out.push(`session ${s.id}: stopped after its credits ran out (${elapsed} ms ≥ ${balance * periodMs} ms)`);
  } else {
    out.push(`session ${s.id}: ended with no reason`);
  }
  if (s.ledgerSum !== s.consumed) out.push(`session ${s.id}: ledger rows sum to ${s.ledgerSum}, credits_consumed ${s.consumed}`);
  return out;
}

const summaryFile = path.resolve('test-results', 'faults-summary.txt');

/** One line per scenario: printed, and appended to test-results/faults-summary.txt. */
export function summary(scenario: string, text: string): void {
  const line = `[faults] ${scenario}: ${text}`;
  console.log(line);
  fs.mkdirSync(path.dirname(summaryFile), { recursive: true });
  fs.appendFileSync(summaryFile, `${new Date().toISOString()} ${line}\n`);
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: Math.round(performance.now() - started) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitUntil(fn: () => Promise<boolean>, timeoutMs: number, what: string, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * The ledger, row by row, for the given sessions and their users: each charge row pays the next
 * boundary in order (its `timestamp` is t0 + (cumulative − 1)·P, never a boundary twice) and was
 * not written before that boundary; each user's `remaining_credits` chain follows its deductions.
 */
export async function ledgerViolations(sql: pg.Pool, sessionIds: readonly string[], periodMs: number): Promise<string[]> {
  const out: string[] = [];
  const { rows } = await sql.query<{ id: string; user_id: string; session_id: string | null; deducted: number; remaining: number; ts_ms: number; created_ms: number; start_ms: number | null }>(
    `SELECT l.id::text, l.user_id::text, l.session_id::text, l.credits_deducted AS deducted, l.remaining_credits AS remaining,
            (extract(epoch FROM l."timestamp") * 1000)::float8 AS ts_ms, (extract(epoch FROM l.created_at) * 1000)::float8 AS created_ms,
            (extract(epoch FROM s.start_time) * 1000)::float8 AS start_ms
     FROM credit_logs l LEFT JOIN sessions s ON s.id = l.session_id
     WHERE l.user_id IN (SELECT user_id FROM sessions WHERE id = ANY($1::bigint[]))
     ORDER BY l.id`,
    [sessionIds],
  );
  const remainingByUser = new Map<string, number>();
  const paidBySession = new Map<string, number>();
  for (const r of rows) {
    const before = remainingByUser.get(r.user_id) ?? 0;
    if (r.remaining !== before - r.deducted) out.push(`row ${r.id}: remaining ${r.remaining} after ${before} − ${r.deducted}`);
    remainingByUser.set(r.user_id, r.remaining);
    if (r.session_id === null || r.start_ms === null) continue;
    const paid = (paidBySession.get(r.session_id) ?? 0) + r.deducted;
    paidBySession.set(r.session_id, paid);
    const boundaryMs = Math.round(r.start_ms) + (paid - 1) * periodMs;
    if (Math.round(r.ts_ms) !== boundaryMs) out.push(`row ${r.id} of session ${r.session_id}: pays ${Math.round(r.ts_ms)}, the boundary due is ${boundaryMs}`);
    if (r.created_ms + 0.5 < r.ts_ms) out.push(`row ${r.id} of session ${r.session_id}: written ${Math.round(r.ts_ms - r.created_ms)} ms before its boundary`);
  }
  return out;
}
