// Soak (issue 8, item 6): a bounded run of many users against the local stack at P = 6 s:
//   - `users` users with sessions charged by the tick, a fifth of them with few credits so they
//     run out during the run;
//   - `actors` of them (besides) starting, checking and stopping sessions through the HTTP API
//     in a loop (a tenth of those with few credits: they hit 402 and 404 as users would);
//   - `sockets` WebSocket clients through the gateway, a fifth of them closed and reopened
//     every 10 s.
// Pass: zero errors (unexpected statuses, network errors, refused sockets, ERROR log lines),
// a clean audit afterwards, and memory flat: the stack process's heap after a full GC, sampled
// every 10 s, shows no upward trend over the second half.
import { emitResult, mb, params, progress, rssOfPid, slope, sleep } from '../lib/common';
import { dbNowMs, seedSessions, seedUsers } from '../lib/seed';
import { runSoakDriver } from '../lib/soak-driver';
import { startBenchStack } from '../lib/stack';
import { startFleet } from '../lib/ws-fleet';

interface Params {
  durationS: number;
  users: number;
  actors: number;
  sockets: number;
}

const p = params<Params>();
const periodMs = 6000;
const scope = 'soak';
const gc = (globalThis as { gc?: () => void }).gc;
const stack = await startBenchStack({ periodMs, tickMs: 1000 });
const { issueToken } = await import('../../functions/core/auth');
const { addToSchedule } = await import('../../functions/core/schedule');
const { auditLedger } = await import('../../functions/core/audit');

// Background sessions: a fifth run out within the run.
const runPeriods = Math.floor(p.durationS / 6);
const bgCredits = Array.from({ length: p.users }, (_, i) => (i % 5 === 0 ? 3 + (i % Math.max(1, runPeriods - 3)) : 5000));
const bg = await seedUsers(stack.sql, 'soak', bgCredits);
const now = await dbNowMs(stack.sql);
const starts = bg.map((_, i) => now - Math.floor((((i * 7919) % bg.length) / bg.length) * periodMs));
const ids = await seedSessions(stack.sql, bg, starts);
await addToSchedule(ids.map((id, i) => ({ id, scoreMs: (starts[i] as number) + periodMs })));
// Actors: a tenth with few credits.
const actors = await seedUsers(stack.sql, 'actor', Array.from({ length: p.actors }, (_, i) => (i % 10 === 0 ? 15 : 100_000)));
const token = async (id: string): Promise<string> => (await issueToken(id, Date.now())).token;
const actorTokens = await Promise.all(actors.map(token));
// Sockets: every actor, then background users.
const socketUsers = [...actors, ...bg].slice(0, p.sockets);
const socketTokens = await Promise.all(socketUsers.map(token));
const fleet = startFleet();
const conn = await fleet.connect(stack.wsUrl, socketTokens, 50);
progress(scope, `${p.users} background sessions, ${p.actors} actors, ${conn.ok} sockets (${conn.failed} refused); running ${p.durationS} s`);

const redisPid = stack.redisPid();
const memory: Array<{ tS: number; rss: number; heapUsed: number; redisRss: number | null }> = [];
const t0 = Date.now();
const sample = (): void => {
  gc?.();
  const m = process.memoryUsage();
  memory.push({ tS: Math.round((Date.now() - t0) / 1000), rss: m.rss, heapUsed: m.heapUsed, redisRss: redisPid === null ? null : rssOfPid(redisPid) });
};
sample();
let churned = { ok: 0, failed: 0 };
let churning = false;
const every10s = setInterval(() => {
  sample();
  const last = memory[memory.length - 1];
  progress(scope, `t=${last?.tS}s RSS ${mb(last?.rss ?? 0)} MB, heap ${mb(last?.heapUsed ?? 0)} MB, redis ${mb(last?.redisRss ?? 0)} MB, connections ${stack.connectionCount()}`);
  if (churning) return;
  churning = true;
  void fleet.churn(0.2).then((r) => {
    churned = { ok: churned.ok + r.ok, failed: churned.failed + r.failed };
    churning = false;
  });
}, 10_000);
const driver = await runSoakDriver(stack.url, actorTokens, p.durationS);
clearInterval(every10s);
while (churning) await sleep(100);
sample();
const records = await fleet.collect();
await fleet.close();
await sleep(1000);
await stack.pauseTick();
progress(scope, 'auditing the ledger');
const discrepancies = await auditLedger(periodMs);
const { rows: sessionRows } = await stack.sql.query<{ started: number; exhausted: number; stopped: number; charges: number }>(
  `SELECT (SELECT count(*) FROM sessions)::int AS started,
          (SELECT count(*) FROM sessions WHERE end_reason = 'exhausted')::int AS exhausted,
          (SELECT count(*) FROM sessions WHERE end_reason = 'stopped')::int AS stopped,
          (SELECT count(*) FROM credit_logs WHERE reason = 'session_charge')::int AS charges`,
);
await stack.stop();

const half = memory.filter((m) => m.tS >= p.durationS / 2);
const heapSlopeMBPerMin = slope(half.map((m) => [m.tS / 60, m.heapUsed / 2 ** 20]));
const rssSlopeMBPerMin = slope(half.map((m) => [m.tS / 60, m.rss / 2 ** 20]));
const rss = memory.map((m) => m.rss);
const result = {
  durationS: p.durationS,
  users: p.users,
  actors: p.actors,
  sockets: conn.ok,
  requests: driver.requests,
  byOutcome: driver.byOutcome,
  latency: driver.latency,
  errors: {
    http: driver.errors,
    httpSamples: driver.errorSamples,
    socketsRefused: conn.failed + churned.failed,
    socketErrors: records.errors,
    socketsClosedByServer: records.closedUnexpectedly,
  },
  reconnects: churned.ok,
  pushes: { updates: records.updates.length, ended: records.ended.length },
  ledger: sessionRows[0],
  audit: { discrepancies: discrepancies.length, sample: discrepancies.slice(0, 5) },
  memory: {
    rssFirst: rss[0] ?? 0,
    rssLast: rss[rss.length - 1] ?? 0,
    rssMax: Math.max(...rss),
    heapFirst: memory[0]?.heapUsed ?? 0,
    heapLast: memory[memory.length - 1]?.heapUsed ?? 0,
    heapSlopeMBPerMin,
    rssSlopeMBPerMin,
    gcBeforeSample: gc !== undefined,
    samples: memory,
  },
};
progress(
  scope,
  `${driver.requests} requests, ${driver.errors} HTTP errors, ${result.errors.socketsRefused} refused sockets, ${churned.ok} reconnects, audit ${discrepancies.length}; ` +
    `RSS ${mb(result.memory.rssFirst)} → ${mb(result.memory.rssLast)} MB (max ${mb(result.memory.rssMax)}), heap slope ${heapSlopeMBPerMin.toFixed(2)} MB/min`,
);
emitResult(result);
process.exit(0);
