// API load against the local stack with autocannon (in a process of its own):
//   status@1000   GET /api/session/status at a fixed 1,000 requests/s, users with live sessions
//   profile@1000  GET /api/user/profile at 1,000 requests/s
//   status-max    GET /api/session/status as fast as 50 connections go
//   startstop     POST start then POST stop, one user per connection, as fast as they go
//   status+login  status at 1,000/s while logins (bcrypt, 12 rounds) run on 4 connections
// The tick runs meanwhile (P = 6 s), charging the live sessions.
import { emitResult, params, progress, sleep } from '../lib/common';
import { startLoadRunner, type LoadResult, type LoadSpec } from '../lib/load';
import { benchPassword, dbNowMs, emailOf, seedSessions, seedUsers } from '../lib/seed';
import { startBenchStack } from '../lib/stack';

interface Params {
  runs: number;
  durationS: number;
  sessions: number;
}

const p = params<Params>();
const periodMs = 6000;
const scope = 'api';
const stack = await startBenchStack({ periodMs, tickMs: 1000, env: { BCRYPT_ROUNDS: '12' } });
const { issueToken } = await import('../../functions/core/auth');
const { addToSchedule } = await import('../../functions/core/schedule');
const { auditLedger } = await import('../../functions/core/audit');

progress(scope, `seeding ${p.sessions} users with live sessions, 200 idle users, 50 login users`);
const live = await seedUsers(stack.sql, 'live', new Array<number>(p.sessions).fill(100_000));
const now = await dbNowMs(stack.sql);
const starts = live.map((_, i) => now - Math.floor((i / live.length) * periodMs));
const ids = await seedSessions(stack.sql, live, starts);
await addToSchedule(ids.map((id, i) => ({ id, scoreMs: (starts[i] as number) + periodMs })));
const idle = await seedUsers(stack.sql, 'idle', new Array<number>(200).fill(100_000));
await seedUsers(stack.sql, 'login', new Array<number>(50).fill(100));
const loginEmails = Array.from({ length: 50 }, (_, i) => emailOf('login', i));
const token = async (id: string): Promise<string> => (await issueToken(id, Date.now())).token;
const liveTokens = await Promise.all(live.map(token));
const idleTokens = await Promise.all(idle.map(token));

const load = startLoadRunner();
const base = { url: stack.url };
const results: Record<string, LoadResult[]> = {};
const record = (name: string, r: LoadResult): void => {
  (results[name] ??= []).push(r);
  const codes = Object.entries(r.statusCodes).map(([c, n]) => `${c}×${n}`).join(' ');
  progress(scope, `${name.padEnd(14)} ${Math.round(r.rps).toLocaleString('en-US')} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  max ${r.max} ms  [${codes}]${r.errors + r.timeouts > 0 ? ` errors ${r.errors} timeouts ${r.timeouts}` : ''}  CPU steal ${r.stealPct}%${r.gc === undefined ? '' : `  GC ${r.gc.count} pauses, ${r.gc.totalMs} ms, max ${r.gc.maxMs} ms`}`);
};

// Steady state before measuring: the bulk-seeded tables vacuumed and analyzed (autovacuum would
// otherwise do it during the first run) and checkpointed; then the handlers JIT-compiled and
// the pools filled at the measured rate.
await stack.sql.query('VACUUM ANALYZE users, sessions, credit_logs');
await stack.sql.query('CHECKPOINT');
await load.run({ ...base, kind: 'status', tokens: liveTokens, connections: 50, durationS: 10, rate: 1000 });

for (let run = 1; run <= p.runs; run++) {
  progress(scope, `run ${run}/${p.runs}`);
  const at = (kind: LoadSpec['kind'], tokens: string[], extra: Partial<LoadSpec> = {}): LoadSpec => ({ ...base, kind, tokens, connections: 50, durationS: p.durationS, ...extra });
  record('status@1000', await load.run(at('status', liveTokens, { rate: 1000 })));
  record('profile@1000', await load.run(at('profile', liveTokens, { rate: 1000 })));
  record('status-max', await load.run(at('status', liveTokens, { durationS: Math.max(5, Math.round(p.durationS * 0.67)) })));
  record('startstop', await load.run(at('startstop', idleTokens, { connections: 20, durationS: Math.max(5, Math.round(p.durationS * 0.67)) })));
  // Logins and status at once: does bcrypt hold up other requests?
  const [status, login] = await Promise.all([
    load.run(at('status', liveTokens, { rate: 1000 })),
    load.run({ ...base, kind: 'login', emails: loginEmails, password: benchPassword, connections: 4, durationS: p.durationS }),
  ]);
  record('status+login', status);
  record('login', login);
  await sleep(500);
}
load.close();

await stack.pauseTick();
progress(scope, 'auditing the ledger');
const discrepancies = await auditLedger(periodMs);
progress(scope, `audit: ${discrepancies.length} discrepancies`);
await stack.stop();
emitResult({ results, audit: { discrepancies: discrepancies.length, sample: discrepancies.slice(0, 5) } });
process.exit(0);
