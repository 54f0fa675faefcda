// Push: `clients` WebSocket clients connected through the local gateway, each the user of a
// live session (P = 6 s, started spread over one period), charged by the real tick loop. For
// every `session.update` a client receives, the latency is its arrival (Date.now() in the
// client process) minus the created_at of the ledger row it reports (PostgreSQL's
// clock_timestamp() when the charge was written, just before its commit; same machine clock).
import { dist, emitResult, params, progress, sleep, stealMeter, type Dist } from '../lib/common';
import { dbNowMs, seedSessions, seedUsers } from '../lib/seed';
import { startBenchStack } from '../lib/stack';
import { startFleet } from '../lib/ws-fleet';

interface Params {
  clients: number;
  runs: number;
  windowS: number;
}

const p = params<Params>();
const periodMs = 6000;
const scope = 'push';
const stack = await startBenchStack({ periodMs, tickMs: 1000 });
const { issueToken } = await import('../../functions/core/auth');
const { addToSchedule } = await import('../../functions/core/schedule');
const { auditLedger } = await import('../../functions/core/audit');

const users = await seedUsers(stack.sql, 'push', new Array<number>(p.clients).fill(10_000));
const tokens = await Promise.all(users.map(async (id) => (await issueToken(id, Date.now())).token));
const fleet = startFleet();
const conn = await fleet.connect(stack.wsUrl, tokens, 50);
progress(scope, `${conn.ok} WebSocket clients connected in ${conn.ms} ms (${conn.failed} failed)`);
const now = await dbNowMs(stack.sql);
const starts = users.map((_, i) => now - Math.floor((i / users.length) * periodMs));
const ids = await seedSessions(stack.sql, users, starts);
await addToSchedule(ids.map((id, i) => ({ id, scoreMs: (starts[i] as number) + periodMs })));
await sleep(periodMs + 1000);
await fleet.collect(); // drop the warm-up period

const ms = (col: string): string => `(extract(epoch FROM ${col}) * 1000)::float8`;
const windows: Array<{ latency: Dist; received: number; matched: number; expected: number; errors: number; closed: number; stealPct: number }> = [];
for (let run = 1; run <= p.runs; run++) {
  const from = await dbNowMs(stack.sql);
  const steal = stealMeter();
  await sleep(p.windowS * 1000);
  const stealPct = steal();
  const to = await dbNowMs(stack.sql);
  await sleep(1500); // let the last pushes of the window arrive
  const r = await fleet.collect();
  const { rows } = await stack.sql.query<{ lag: number }>(
    `SELECT r.recv - ${ms('l.created_at')} AS lag
     FROM unnest($1::bigint[], $2::int[], $3::float8[]) AS r(sid, consumed, recv)
     JOIN sessions s ON s.id = r.sid
     JOIN credit_logs l ON l.session_id = r.sid AND l.reason = 'session_charge'
       AND l."timestamp" = s.start_time + (r.consumed - 1) * interval '1 millisecond' * $4
     WHERE ${ms('l.created_at')} BETWEEN $5 AND $6`,
    [r.updates.map((u) => u[0]), r.updates.map((u) => u[1]), r.updates.map((u) => u[2]), periodMs, from, to],
  );
  const { rows: exp } = await stack.sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM credit_logs WHERE reason = 'session_charge' AND ${ms('created_at')} BETWEEN $1 AND $2`,
    [from, to],
  );
  const latency = dist(rows.map((x) => x.lag));
  windows.push({ latency, received: r.updates.length, matched: rows.length, expected: exp[0]?.n ?? 0, errors: r.errors, closed: r.closedUnexpectedly, stealPct });
  progress(scope, `run ${run}/${p.runs}: ${rows.length.toLocaleString('en-US')} of ${(exp[0]?.n ?? 0).toLocaleString('en-US')} charges received; commit → receipt p50 ${latency.p50.toFixed(1)} ms p99 ${latency.p99.toFixed(1)} ms max ${latency.max.toFixed(1)} ms; CPU steal ${stealPct}%`);
}
await fleet.close();
await stack.pauseTick();
const discrepancies = await auditLedger(periodMs);
progress(scope, `audit: ${discrepancies.length} discrepancies`);
await stack.stop();
emitResult({ clients: conn.ok, connectFailures: conn.failed, connectMs: conn.ms, windowS: p.windowS, windows, audit: { discrepancies: discrepancies.length } });
process.exit(0);
