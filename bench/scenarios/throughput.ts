// Tick throughput, side by side in one process and one database: N sessions each with exactly
// one charge due, charged three ways:
//   settle  — the product's set-based settle (store.settleSessions) over batches of TICK_BATCH_SIZE,
//             TICK_CONCURRENCY batches at once (each its own transaction), as the tick runs it;
//   settle1 — the same, one batch at a time;
//   tick    — the real tick pass (core/tick.tickPass): Redis schedule read, settle, re-score,
//             push look-up, exactly as the tick loop runs it;
//   naive   — one transaction per session the way a per-session setInterval server charges
//             (SELECT … FOR UPDATE, compute in JS, UPDATE users, UPDATE sessions, INSERT
//             credit_logs, COMMIT), 10 at a time on a pool of 10.
// Each run seeds fresh sessions for each method. A settle of 1,000 sessions takes ~25 ms and one
// of 10,000 ~250 ms, short enough for one scheduler hiccup or checkpoint on a shared 2-core VM to
// halve its rate (one run's three N = 10,000 windows measured 74k, 39k and 36k/s), so each run
// charges at least 30,000 per method: N = 1,000 is 30 settles of 1,000 fresh due sessions,
// N = 10,000 three of 10,000, and the run's rate is all their charges over all their time (each
// window's rate is kept too, and whether a checkpoint ran during the method's windows).
// Afterwards the invariant is audited and the settle's query plans are checked on the (now
// large) tables.
import pg from 'pg';
import { emitResult, params, progress } from '../lib/common';
import { dbNowMs, seedSessions, seedUsers } from '../lib/seed';
import { startBenchStack } from '../lib/stack';

interface Params {
  sizes: number[];
  runs: number;
  batchSweep: number[];
  batchSweepN: number;
}

// A long period keeps exactly one charge due per session for the whole measurement, however
// slow a method is (the settle's cost does not depend on P).
const periodMs = 600_000;
const p = params<Params>();
const scope = 'throughput';

const stack = await startBenchStack({ periodMs, tickMs: 0, env: { TICK_MAX_BATCHES: '10000' } });
const { settleSessions } = await import('../../functions/core/store');
const { splitBatches, tickPass } = await import('../../functions/core/tick');
const { addToSchedule, ensureSchedule } = await import('../../functions/core/schedule');
const { auditLedger } = await import('../../functions/core/audit');
const { config } = await import('../../functions/config');
const { log } = await import('../../functions/core/log');
const batchSize = config().tickBatchSize;
const lanes = config().tickConcurrency;
await ensureSchedule(periodMs);

let seq = 0;
/** N users with 100 credits, each with a session whose second period is due now (one charge). */
async function seedDue(n: number): Promise<string[]> {
  const prefix = `t${seq++}`;
  const users = await seedUsers(stack.sql, prefix, new Array<number>(n).fill(100));
  const now = await dbNowMs(stack.sql);
  const starts = users.map(() => now - periodMs - 1000);
  const ids = await seedSessions(stack.sql, users, starts);
  await stack.sql.query('VACUUM ANALYZE users, sessions, credit_logs');
  return ids;
}

async function chargedSince(ids: readonly string[]): Promise<number> {
  const { rows } = await stack.sql.query<{ n: number }>(`SELECT COALESCE(sum(credits_consumed - 1), 0)::int AS n FROM sessions WHERE id = ANY($1::bigint[])`, [ids]);
  return rows[0]?.n ?? 0;
}

/** Runs `fn` over the batches of `ids`, `lanes` batches at once; the elapsed ms. */
async function inLanes(ids: string[], batch: number, laneCount: number, fn: (part: string[]) => Promise<unknown>): Promise<number> {
  // Each pass of the tick reads up to laneCount × batch due ids and splits them like this.
  const parts: string[][] = [];
  for (let i = 0; i < ids.length; i += batch * laneCount) parts.push(...splitBatches(ids.slice(i, i + batch * laneCount), batch, laneCount));
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: laneCount }, async () => {
      for (let part = parts.shift(); part !== undefined; part = parts.shift()) await fn(part);
    }),
  );
  return performance.now() - t0;
}

const runSettle = (ids: string[], batch: number, laneCount: number): Promise<number> => inLanes(ids, batch, laneCount, (part) => settleSessions(part, periodMs));

async function runTick(ids: string[]): Promise<number> {
  await addToSchedule(ids.map((id) => ({ id, scoreMs: Date.now() - 1000 })));
  const t0 = performance.now();
  let settled = 0;
  while (settled < ids.length) {
    const r = await tickPass({ periodMs, batchSize, maxBatches: 10_000, concurrency: lanes, log });
    if (r.settled === 0) break;
    settled += r.settled;
  }
  return performance.now() - t0;
}

const naivePool = new pg.Pool({ connectionString: stack.databaseUrl, max: 10 });
naivePool.on('error', () => undefined);

/** What a per-session setInterval server does when one session's interval fires. */
async function chargeOneNaively(sessionId: string): Promise<void> {
  const client = await naivePool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ user_id: string; start_ms: number; consumed: number; credits: number }>(
      `SELECT s.user_id::text, (extract(epoch FROM s.start_time) * 1000)::bigint::float8 AS start_ms, s.credits_consumed AS consumed, u.credits
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.is_active FOR UPDATE OF s, u`,
      [sessionId],
    );
    const r = rows[0];
    if (r !== undefined) {
      const nowMs = Date.now();
      const due = Math.max(0, 1 + Math.floor((nowMs - r.start_ms) / periodMs) - r.consumed);
      const paid = Math.min(due, r.credits);
      if (paid > 0) {
        const ts = `(timestamptz 'epoch' + ($2::bigint) * interval '1 millisecond')`;
        await client.query(`UPDATE users SET credits = credits - $2, updated_at = now() WHERE id = $1`, [r.user_id, paid]);
        await client.query(`UPDATE sessions SET credits_consumed = credits_consumed + $2, updated_at = now() WHERE id = $1`, [sessionId, paid]);
        await client.query(
          `INSERT INTO credit_logs (user_id, session_id, credits_deducted, remaining_credits, reason, "timestamp")
           VALUES ($1, $3, $4, $5, 'session_charge', ${ts})`,
          [r.user_id, r.start_ms + (r.consumed + paid - 1) * periodMs, sessionId, paid, r.credits - paid],
        );
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function runNaive(ids: string[]): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < ids.length) await chargeOneNaively(ids[next++] as string);
    }),
  );
  return performance.now() - t0;
}

/**
 * The write floor: the three writes every charge needs (balance, session, ledger row), one bare
 * statement per batch, without the settle's locks, clock or billing arithmetic. The settle's
 * rate against this shows how close it is to what this machine's PostgreSQL can write.
 */
function runFloor(ids: string[], batch: number): Promise<number> {
  return inLanes(ids, batch, lanes, (part) =>
    stack.sql.query(
      `WITH b AS (SELECT id, user_id FROM sessions WHERE id = ANY($1::bigint[])),
       uu AS (UPDATE users u SET credits = u.credits - 1 FROM b WHERE u.id = b.user_id RETURNING u.id, u.credits),
       us AS (UPDATE sessions s SET credits_consumed = s.credits_consumed + 1 FROM b WHERE s.id = b.id RETURNING s.id)
       INSERT INTO credit_logs (user_id, session_id, credits_deducted, remaining_credits, reason, "timestamp")
       SELECT b.user_id, b.id, 1, uu.credits, 'session_charge', now() FROM b JOIN uu ON uu.id = b.user_id`,
      [part],
    ),
  );
}

/** Sequential single-row commits on one connection: what one fsync'd commit costs here. */
async function commitLatencyMs(): Promise<number> {
  await stack.sql.query('CREATE TABLE IF NOT EXISTS bench_commit (x int)');
  const client = await stack.sql.connect();
  try {
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) await client.query('INSERT INTO bench_commit VALUES ($1)', [i]);
    return (performance.now() - t0) / 200;
  } finally {
    client.release();
  }
}

/**
 * The tick's connections stay open from one pass to the next (a pass starts every 20–100 ms),
 * with the settle's plan cached on each (a PL/pgSQL function). Two things of the bench's own
 * would otherwise land inside the timed window:
 * - the product pool can sit idle past its 30 s idle timeout between two measurements (the
 *   naive run at N = 50,000 takes longer), and a lane that opens its connection there measures
 *   a PostgreSQL backend starting;
 * - the VACUUM ANALYZE after each seeding invalidates every connection's cached plans and
 *   relation entries, and the first settle after it re-plans and rebuilds them: +2.4 ms on a
 *   settle of 500 (11.1 → 13.5 ms of PostgreSQL time; bench/findings.md). The tick meets that
 *   only when autovacuum has just processed a table.
 * So: one round of small settles per lane first (past the plan cache's five custom plans per
 * connection), then before each timed window an empty settle per lane (no session has id 0),
 * on the connections the window then uses (the pool hands out the last released first).
 */
async function warmLanes(): Promise<void> {
  await Promise.all(Array.from({ length: lanes }, () => settleSessions(['0'], periodMs)));
}
for (let i = 0; i < 6; i++) await runSettle(await seedDue(lanes * 10), 10, lanes);
await runTick(await seedDue(lanes * 10));

type Method = 'settle' | 'settle1' | 'tick' | 'naive' | 'floor';
const commitMs: number[] = [];
const emptyRow = (): Record<Method, number[]> => ({ settle: [], settle1: [], tick: [], naive: [], floor: [] });
const results: Record<string, Record<Method, number[]>> = {};
/** Each window's own rate, where a run has several (N below chargesPerRun). */
const windows: Record<string, Record<Method, number[]>> = {};
const windowSpread = (rates: number[]): string => {
  const sorted = [...rates].sort((a, b) => a - b);
  const k = (v: number | undefined): string => `${Math.round((v ?? 0) / 1000)}k`;
  return `windows ${k(sorted[0])}–${k(sorted[sorted.length - 1])}/s`;
};
const sweep: Record<string, number[]> = {};

/** Charges at least this many per run and method: smaller N is settled in several windows. */
const chargesPerRun = 30_000;
/** Checkpoints requested or timed so far, and buffers they wrote (pg_stat_checkpointer, PG 17+). */
async function checkpoints(): Promise<{ count: number; buffers: number }> {
  const { rows } = await stack.sql.query<{ count: number; buffers: number }>(
    'SELECT (num_timed + num_requested)::int AS count, buffers_written::int AS buffers FROM pg_stat_checkpointer',
  );
  return rows[0] ?? { count: 0, buffers: 0 };
}

for (let run = 1; run <= p.runs; run++) {
  for (const n of p.sizes) {
    const row = (results[String(n)] ??= emptyRow());
    const windowRow = (windows[String(n)] ??= emptyRow());
    const windowCount = Math.max(1, Math.ceil(chargesPerRun / n));
    for (const method of ['settle', 'settle1', 'tick', 'naive', 'floor'] as Method[]) {
      // All windows' sessions seeded at once (one VACUUM ANALYZE), each window a separate N.
      const all = await seedDue(n * windowCount);
      const ckptBefore = await checkpoints();
      let totalMs = 0;
      for (let w = 0; w < windowCount; w++) {
        const ids = all.slice(w * n, (w + 1) * n);
        await warmLanes();
        const ms =
          method === 'settle' ? await runSettle(ids, batchSize, lanes) : method === 'settle1' ? await runSettle(ids, batchSize, 1) : method === 'tick' ? await runTick(ids) : method === 'naive' ? await runNaive(ids) : await runFloor(ids, batchSize);
        totalMs += ms;
        windowRow[method].push((n / ms) * 1000);
      }
      const ckptAfter = await checkpoints();
      const charged = await chargedSince(all);
      if (charged !== all.length) throw new Error(`${method} at N=${n} charged ${charged}, expected ${all.length}`);
      const perS = (all.length / totalMs) * 1000;
      row[method].push(perS);
      const spread = windowCount > 1 ? ` over ${windowCount} settles of ${n.toLocaleString('en-US')}, ${windowSpread(windowRow[method].slice(-windowCount))}` : '';
      const ckpt = ckptAfter.buffers > ckptBefore.buffers || ckptAfter.count > ckptBefore.count ? `; checkpointer wrote ${(ckptAfter.buffers - ckptBefore.buffers).toLocaleString('en-US')} buffers meanwhile` : '';
      progress(scope, `run ${run}/${p.runs} N=${n} ${method.padEnd(7)} ${Math.round(perS).toLocaleString('en-US')} charges/s (${Math.round(totalMs)} ms${spread}${ckpt})`);
    }
  }
  commitMs.push(await commitLatencyMs());
  progress(scope, `run ${run}/${p.runs} one commit (fsync) ${commitMs[commitMs.length - 1]?.toFixed(2)} ms`);
  for (const b of p.batchSweep) {
    const ids = await seedDue(p.batchSweepN);
    await warmLanes();
    const ms = await runSettle(ids, b, lanes);
    const perS = (p.batchSweepN / ms) * 1000;
    (sweep[String(b)] ??= []).push(perS);
    progress(scope, `run ${run}/${p.runs} batch ${b} over N=${p.batchSweepN}: ${Math.round(perS).toLocaleString('en-US')} charges/s`);
  }
}

// Query plans of the settle on the grown tables: the real call, inside a transaction rolled
// back afterwards. The settle is a PL/pgSQL function, so EXPLAIN of the call would show only
// "Function Scan"; auto_explain logs the plans of the statements inside it, sent back to this
// client as notices.
const planIds = await seedDue(batchSize);
const totals = await stack.sql.query<{ sessions: number; users: number; logs: number }>(
  `SELECT (SELECT count(*) FROM sessions)::int AS sessions, (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM credit_logs)::int AS logs`,
);
const planClient = await stack.sql.connect();
const plans: string[] = [];
const onNotice = (notice: { message?: string }): void => {
  if (notice.message?.startsWith('duration:') === true && !notice.message.includes('settle_sessions(')) plans.push(notice.message);
};
try {
  await planClient.query(`LOAD 'auto_explain'`);
  await planClient.query(
    `SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on;
     SET auto_explain.log_timing = on; SET auto_explain.log_nested_statements = on; SET client_min_messages = log`,
  );
  planClient.on('notice', onNotice);
  await planClient.query('BEGIN');
  await settleSessions(planIds, periodMs, { client: planClient });
} finally {
  planClient.off('notice', onNotice);
  await planClient.query('ROLLBACK').catch(() => undefined);
  planClient.release(true); // auto_explain stays loaded in this backend: close it
}
const seqScans = plans.flatMap((plan) => [...plan.matchAll(/Seq Scan on (\w+)/g)].map((m) => m[1] as string));
const jit = plans.some((plan) => /JIT:/.test(plan));
progress(scope, `plans on ${totals.rows[0]?.sessions.toLocaleString('en-US')} sessions: seq scans ${seqScans.length === 0 ? 'none' : seqScans.join(', ')}, JIT ${jit ? 'ON' : 'off'}`);

// The invariant over every user and session, set-based (one pass over each table): after
// close to a million users, auditLedger's per-user subqueries outlast the product pool's
// 15 s statement timeout (see the findings), so it runs only while the tables are small.
progress(scope, 'checking the ledger invariant');
const { rows: inv } = await stack.sql.query<{ users: number; sessions: number; negative: number }>(
  `SELECT
     (SELECT count(*) FROM users u LEFT JOIN (SELECT user_id, -sum(credits_deducted) AS s FROM credit_logs GROUP BY user_id) l ON l.user_id = u.id
       WHERE u.credits <> COALESCE(l.s, 0))::int AS users,
     (SELECT count(*) FROM sessions x LEFT JOIN (SELECT session_id, sum(credits_deducted) AS s FROM credit_logs WHERE session_id IS NOT NULL GROUP BY session_id) l ON l.session_id = x.id
       WHERE x.credits_consumed <> COALESCE(l.s, 0))::int AS sessions,
     (SELECT count(*) FROM users WHERE credits < 0)::int AS negative`,
);
const invariant = inv[0] ?? { users: -1, sessions: -1, negative: -1 };
const discrepancies = invariant.users + invariant.sessions + invariant.negative;
let auditLedgerResult: number | string;
try {
  auditLedgerResult = (await auditLedger(periodMs)).length;
} catch (err) {
  auditLedgerResult = `failed: ${err instanceof Error ? err.message : String(err)}`;
}
progress(scope, `invariant: ${invariant.users} users and ${invariant.sessions} sessions off their ledger; auditLedger: ${auditLedgerResult}`);

await naivePool.end();
await stack.stop();

emitResult({
  batchSize,
  concurrency: lanes,
  periodMs,
  results,
  windows,
  commitMs,
  sweep,
  plans: { tables: totals.rows[0], seqScans, jit, text: plans },
  audit: { discrepancies, invariant, auditLedger: auditLedgerResult },
});
