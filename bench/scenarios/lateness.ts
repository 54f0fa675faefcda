// Lateness at scale: N concurrent sessions at P = 6 s, started spread over one period, charged
// by the real tick loop of the local stack (Redis schedule, set-based settle, pushes through the
// gateway) for a measured window of at least two minutes.
//   charge lateness   = credit_logs.created_at − credit_logs.timestamp (commit − boundary)
//   end lag (DB)      = sessions.updated_at − end_time for the sessions that ran out
//   end push lag      = receipt of `session.ended` by a WebSocket client − end_time
//   charge push lag   = receipt of `session.update` − created_at of the ledger row it reports
// Some sessions get few credits so that they run out during the window; the clients of those
// (up to `sockets`) are connected through the gateway. Afterwards the tick is paused and the
// ledger audited: no charge missing, none doubled.
import { dist, emitResult, mb, params, progress, rssOfPid, sleep } from '../lib/common';
import { dbNowMs, seedSessions, seedUsers } from '../lib/seed';
import { startBenchStack } from '../lib/stack';
import { describeSecond, startTrace, summarizeTrace } from '../lib/trace';
import { startFleet } from '../lib/ws-fleet';

interface Params {
  sessions: number;
  windowS: number;
  sockets: number;
  run: number;
  runs: number;
}

const p = params<Params>();
const periodMs = 6000;
const scope = `lateness N=${p.sessions.toLocaleString('en-US')} run ${p.run}/${p.runs}`;
const n = p.sessions;

const stack = await startBenchStack({ periodMs, tickMs: 1000 });
const { issueToken } = await import('../../functions/core/auth');
const { addToSchedule } = await import('../../functions/core/schedule');
const { auditLedger } = await import('../../functions/core/audit');

// Credits: most sessions run for the whole window; `exhausting` of them run out inside it.
const exhausting = Math.max(p.sockets, Math.round(n * 0.05));
const windowPeriods = Math.floor(p.windowS / (periodMs / 1000));
const credits = Array.from({ length: n }, (_, i) => (i < exhausting ? 4 + (i % Math.max(1, windowPeriods - 2)) : 1000));
progress(scope, `seeding ${n.toLocaleString('en-US')} users (${exhausting} run out during the window)`);
const users = await seedUsers(stack.sql, `l${p.run}`, credits);

// Sockets for the first `sockets` users (all of them run out during the window).
const fleet = startFleet();
const tokens = await Promise.all(users.slice(0, p.sockets).map(async (id) => (await issueToken(id, Date.now())).token));
const conn = await fleet.connect(stack.wsUrl, tokens, 50);
progress(scope, `${conn.ok} WebSocket clients connected in ${conn.ms} ms (${conn.failed} failed)`);

// Sessions started spread over the last period: boundaries fall evenly over every period.
const t0 = await dbNowMs(stack.sql);
const starts = users.map((_, i) => t0 - Math.floor((((i * 7919) % n) / n) * periodMs));
const seedStarted = Date.now();
const sessionIds = await seedSessions(stack.sql, users, starts);
await addToSchedule(sessionIds.map((id, i) => ({ id, scoreMs: (starts[i] as number) + periodMs })));
const ready = await dbNowMs(stack.sql);
progress(scope, `${n.toLocaleString('en-US')} sessions started and scheduled in ${Date.now() - seedStarted} ms`);

// Warm-up: at least one period after everything is scheduled, so every boundary in the window
// was in the schedule before it fell due; and until the tick has worked off the backlog that
// writing N sessions at once leaves (their start times spread over the last period, so many
// first boundaries fell due while they were still being written): until the schedule's oldest
// unpaid boundary is less than a second old, at most 90 s. How long that took is reported
// (warmupS). Then the measured window: the steady state of N sessions.
const { nextDueMs } = await import('../../functions/core/schedule');
await sleep(Math.max(0, ready + periodMs - Date.now()));
for (;;) {
  const oldest = await nextDueMs();
  if (oldest === null || oldest >= Date.now() - 1000 || Date.now() - ready > 90_000) break;
  await sleep(250);
}
const warmupS = Math.round((Date.now() - ready) / 100) / 10;
progress(scope, `warm-up over ${warmupS} s after scheduling (the start-up backlog is worked off)`);
const winStart = await dbNowMs(stack.sql);
const winEnd = winStart + p.windowS * 1000;
const memory: Array<{ tS: number; nodeRss: number; heapUsed: number; redisRss: number | null }> = [];
const redisPid = stack.redisPid();
const sample = (): void => {
  const m = process.memoryUsage();
  memory.push({ tS: Math.round((Date.now() - ready) / 1000), nodeRss: m.rss, heapUsed: m.heapUsed, redisRss: redisPid === null ? null : rssOfPid(redisPid) });
};
sample();
const sampler = setInterval(sample, 5000);
// Progress from the trace (a query over the ledger here would scan millions of rows mid-window).
const tracer = startTrace(stack.sql, nextDueMs);
const ticker = setInterval(() => {
  const last = tracer.recent(10);
  const charges = last.reduce((a, x) => a + x.charges, 0) / Math.max(1, last.length);
  const backlog = Math.max(0, ...last.map((x) => x.backlogMs));
  const rss = memory[memory.length - 1]?.nodeRss ?? 0;
  progress(scope, `last 10 s: ${Math.round(charges).toLocaleString('en-US')} charges/s, oldest unpaid boundary up to ${backlog} ms old, node RSS ${mb(rss)} MB`);
}, 20_000);
await sleep(Math.max(0, winEnd + 3000 - Date.now()));
clearInterval(ticker);
const trace = await tracer.stop();
const traced = summarizeTrace(trace);
progress(scope, `trace: ${traced.slowSeconds} of ${traced.seconds} s with the oldest unpaid boundary over 1 s old; worst ${traced.worstBacklogMs} ms`);
if (traced.slowSeconds > 0) for (const s of traced.aroundWorst) progress(scope, `  ${describeSecond(s)}`);
sample();
// A tick that fell behind is late, not lossy: let it catch up (bounded) before judging what is
// missing, so late charges count in the lateness and only lost ones count as missing.
const behindSql = `SELECT count(*)::int AS n FROM sessions WHERE is_active AND ${'(extract(epoch FROM start_time) * 1000)::float8'} + credits_consumed * $1::float8 <= $2::float8`;
const catchUpStarted = Date.now();
for (;;) {
  const { rows } = await stack.sql.query<{ n: number }>(behindSql, [periodMs, winEnd]);
  if ((rows[0]?.n ?? 0) === 0 || Date.now() - catchUpStarted > 60_000) break;
  progress(scope, `catching up: ${rows[0]?.n.toLocaleString('en-US')} sessions still owe a boundary of the window`);
  await sleep(5000);
}
const catchUpS = Math.round((Date.now() - catchUpStarted) / 1000);
clearInterval(sampler);
await stack.pauseTick();
const pausedAt = await dbNowMs(stack.sql);
const records = await fleet.collect();
await fleet.close();
progress(scope, 'window over; tick paused; analysing');

const ms = (col: string): string => `(extract(epoch FROM ${col}) * 1000)::float8`;
const win = [winStart, winEnd];
// One value per boundary paid: a row paying k periods (a settle that came more than a period
// late) pays boundaries timestamp − (k−1)·P … timestamp, each with its own lateness.
const { rows: lateRows } = await stack.sql.query<{ late: number; multi: boolean }>(
  `SELECT ${ms('l.created_at')} - (${ms('l."timestamp"')} - j * $3::float8) AS late, l.credits_deducted > 1 AS multi
   FROM credit_logs l CROSS JOIN LATERAL generate_series(0, l.credits_deducted - 1) AS j
   WHERE l.reason = 'session_charge' AND ${ms('l."timestamp"')} - j * $3::float8 BETWEEN $1 AND $2`,
  [winStart, winEnd, periodMs],
);
const lateness = dist(lateRows.map((r) => r.late));
const multiPeriodRows = lateRows.filter((r) => r.multi).length;
const charged = lateRows.length;

// Boundaries in the window that the billing rule says must be charged: k = 1 … B−1 (k = 0 was
// paid at start) with start + k·P inside the window, B = the session's credits at start.
const { rows: expectedRows } = await stack.sql.query<{ expected: number }>(
  `SELECT COALESCE(sum(GREATEST(0, LEAST(g.b - 1, floor(($2 - st) / $3)) - GREATEST(1, ceil(($1 - st) / $3)) + 1)), 0)::int AS expected
   FROM (SELECT ${ms('s.start_time')} AS st, -(SELECT l.credits_deducted FROM credit_logs l WHERE l.user_id = s.user_id AND l.reason = 'signup_grant') AS b
         FROM sessions s) g`,
  [winStart, winEnd, periodMs],
);
const expected = expectedRows[0]?.expected ?? 0;
const { rows: dupRows } = await stack.sql.query<{ n: number }>(
  `SELECT count(*)::int AS n FROM (SELECT session_id, "timestamp" FROM credit_logs WHERE reason = 'session_charge' GROUP BY 1, 2 HAVING count(*) > 1) d`,
);
// Still active although a boundary more than 2 s before the pause is unpaid (lost or stuck).
const { rows: behindRows } = await stack.sql.query<{ n: number }>(
  `SELECT count(*)::int AS n FROM sessions WHERE is_active AND ${ms('start_time')} + credits_consumed * $1::float8 < $2::float8 - 2000`,
  [periodMs, pausedAt],
);
const { rows: endRows } = await stack.sql.query<{ lag: number }>(
  `SELECT ${ms('updated_at')} - ${ms('end_time')} AS lag FROM sessions
   WHERE end_reason = 'exhausted' AND ${ms('end_time')} BETWEEN $1 AND $2`,
  win,
);
const endLagDb = dist(endRows.map((r) => r.lag));

// Push lags from what the clients received.
const updates = records.updates;
const { rows: pushRows } = await stack.sql.query<{ lag: number }>(
  `SELECT r.recv - ${ms('l.created_at')} AS lag
   FROM unnest($1::bigint[], $2::int[], $3::float8[]) AS r(sid, consumed, recv)
   JOIN sessions s ON s.id = r.sid
   JOIN credit_logs l ON l.session_id = r.sid AND l.reason = 'session_charge'
     AND l."timestamp" = s.start_time + (r.consumed - 1) * interval '1 millisecond' * $4
   WHERE ${ms('l."timestamp"')} BETWEEN $5 AND $6`,
  [updates.map((u) => u[0]), updates.map((u) => u[1]), updates.map((u) => u[2]), periodMs, winStart, winEnd],
);
const chargePush = dist(pushRows.map((r) => r.lag));
const endedInWindow = records.ended.filter(([, end, , reason]) => reason === 'exhausted' && end >= winStart && end <= winEnd);
const endPush = dist(endedInWindow.map(([, end, recv]) => recv - end));

progress(scope, 'auditing the ledger');
const discrepancies = await auditLedger(periodMs);
const last = memory[memory.length - 1];
const peak = (k: 'nodeRss' | 'redisRss'): number => Math.max(...memory.map((m) => m[k] ?? 0));
const result = {
  sessions: n,
  windowS: p.windowS,
  periodMs,
  sockets: conn.ok,
  socketConnectFailures: conn.failed,
  lateness,
  charged,
  expected,
  catchUpS,
  warmupS,
  missing: Math.max(0, expected - charged),
  chargesPerS: charged / p.windowS,
  multiPeriodRows,
  duplicateCharges: dupRows[0]?.n ?? 0,
  behindAtEnd: behindRows[0]?.n ?? 0,
  endLagDb,
  endPush,
  chargePush,
  wsErrors: records.errors,
  wsClosedUnexpectedly: records.closedUnexpectedly,
  audit: {
    discrepancies: discrepancies.length,
    // Money errors (a balance or a session not matching its ledger) apart from lateness (a
    // session still active more than 10 s past its end because the tick fell behind).
    ledgerMismatches: discrepancies.filter((d) => d.kind !== 'overdue_session').length,
    overdueSessions: discrepancies.filter((d) => d.kind === 'overdue_session').length,
    byKind: discrepancies.reduce<Record<string, number>>((acc, d) => ({ ...acc, [d.kind]: (acc[d.kind] ?? 0) + 1 }), {}),
    sample: discrepancies.slice(0, 5),
  },
  // The per-second trace of the window (bench/lib/trace.ts): a summary with the seconds around
  // the worst one in full, and every second as [t, backlogMs, charges, CPU busy %, steal %].
  trace: { ...traced, series: trace.map((x) => [x.t, x.backlogMs, x.charges, x.cpu.busy, x.cpu.steal]) },
  memory: {
    nodeRssEnd: last?.nodeRss ?? 0,
    nodeRssMax: peak('nodeRss'),
    heapUsedEnd: last?.heapUsed ?? 0,
    redisRssEnd: last?.redisRss ?? null,
    redisRssMax: peak('redisRss'),
    samples: memory,
  },
};
progress(
  scope,
  `lateness p50 ${lateness.p50} ms p99 ${lateness.p99} ms max ${lateness.max} ms over ${lateness.n.toLocaleString('en-US')} charges; ` +
    `missing ${result.missing}, doubled ${result.duplicateCharges}, end push p99 ${endPush.p99} ms, audit ${discrepancies.length}`,
);
await stack.stop();
emitResult(result);
process.exit(0);
