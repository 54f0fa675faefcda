// A per-second trace of the machine while the tick runs (lateness scenario), so a stall can be
// pinned on its cause instead of guessed at. Each second records:
//   backlogMs   how old the schedule's oldest unpaid boundary is (0 when nothing is overdue):
//               the tick's lateness as it happens
//   charges     ledger rows committed that second (the credit_logs identity's last value)
//   waits       what PostgreSQL's active backends were doing, sampled 10 times a second
//               (pg_stat_activity: `CPU` when not waiting, else wait_event_type:wait_event)
//   autovacuum  the tables an autovacuum worker was on
//   ckptBuffers buffers the checkpointer wrote, walMB WAL written
//   cpu         the machine's CPU (/proc/stat, %: busy, iowait, steal) and who used it
//               (% of one core: the stack process with its threads, PostgreSQL, redis-server)
// Bench-only: it reads the statistics views and /proc, never the product's state.
import fs from 'node:fs';
import type pg from 'pg';
import { cpuTicks } from './common';

export interface TraceSecond {
  t: number;
  backlogMs: number;
  charges: number;
  waits: Record<string, number>;
  autovacuum: string[];
  ckptBuffers: number;
  walMB: number;
  cpu: { busy: number; iowait: number; steal: number; stack: number; postgres: number; redis: number };
}

export interface Tracer {
  /** The last `n` seconds recorded so far. */
  recent(n: number): TraceSecond[];
  /** Stops sampling; the seconds recorded. */
  stop(): Promise<TraceSecond[]>;
}

const clockTicksPerS = 100;

/** CPU time (clock ticks) of PostgreSQL's and redis-server's processes, in one pass over /proc. */
function serverCpu(): { postgres: number; redis: number } {
  const ticks = { postgres: 0, redis: 0 };
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const key = comm === 'postgres' ? 'postgres' : comm.startsWith('redis-server') ? 'redis' : null;
      if (key === null) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks[key] += Number(f[11]) + Number(f[12]); // utime, stime
    } catch {
      // gone meanwhile
    }
  }
  return ticks;
}

interface Counters {
  atMs: number;
  ledgerRows: number;
  ckptBuffers: number;
  walBytes: number;
  machine: ReturnType<typeof cpuTicks>;
  stackUs: number;
  servers: { postgres: number; redis: number };
}

/**
 * Starts tracing. `oldestDueMs` gives the schedule's lowest score (the product's nextDueMs);
 * `sql` is the bench's own pool on the scenario's database.
 */
export function startTrace(sql: pg.Pool, oldestDueMs: () => Promise<number | null>): Tracer {
  const seconds: TraceSecond[] = [];
  const startedMs = Date.now();
  let waits: Record<string, number> = {};
  let autovacuum = new Set<string>();
  let prev: Counters | null = null;
  let stopped = false;

  const counters = async (): Promise<Counters> => {
    const { rows } = await sql.query<{ ledger: string; ckpt: string; wal: string }>(
      `SELECT (SELECT last_value FROM credit_logs_id_seq)::text AS ledger,
              (SELECT buffers_written FROM pg_stat_checkpointer)::text AS ckpt,
              (SELECT wal_bytes FROM pg_stat_wal)::text AS wal`,
    );
    const r = rows[0];
    const own = process.cpuUsage();
    return {
      atMs: Date.now(),
      ledgerRows: Number(r?.ledger ?? 0),
      ckptBuffers: Number(r?.ckpt ?? 0),
      walBytes: Number(r?.wal ?? 0),
      machine: cpuTicks(),
      stackUs: own.user + own.system,
      servers: serverCpu(),
    };
  };

  const sampleActivity = async (): Promise<void> => {
    const { rows } = await sql.query<{ what: string; backend: string; query: string }>(
      `SELECT COALESCE(wait_event_type || ':' || wait_event, 'CPU') AS what, backend_type AS backend, left(query, 80) AS query
       FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND datname = current_database()`,
    );
    for (const r of rows) {
      if (r.backend === 'autovacuum worker') autovacuum.add(r.query.replace(/^autovacuum:\s*/, ''));
      else waits[r.what] = (waits[r.what] ?? 0) + 1;
    }
  };

  const second = async (): Promise<void> => {
    const now = await counters();
    const due = await oldestDueMs();
    if (prev !== null) {
      const dtS = (now.atMs - prev.atMs) / 1000;
      const pct = (d: number): number => Math.round(d / dtS / (clockTicksPerS / 100));
      const m0 = prev.machine;
      const m1 = now.machine;
      // Shares of the machine's CPU time over the second, % (all 0 where /proc/stat is missing).
      const share = (k: 'idle' | 'iowait' | 'steal'): number => (m0 === null || m1 === null || m1.total === m0.total ? 0 : Math.round((100 * (m1[k] - m0[k])) / (m1.total - m0.total)));
      const known = m0 !== null && m1 !== null;
      seconds.push({
        t: Math.round((now.atMs - startedMs) / 1000),
        backlogMs: due === null ? 0 : Math.max(0, now.atMs - due),
        charges: now.ledgerRows - prev.ledgerRows,
        waits,
        autovacuum: [...autovacuum],
        ckptBuffers: now.ckptBuffers - prev.ckptBuffers,
        walMB: Math.round((now.walBytes - prev.walBytes) / 2 ** 20),
        cpu: {
          busy: known ? 100 - share('idle') - share('steal') : 0,
          iowait: share('iowait'),
          steal: share('steal'),
          stack: Math.round((now.stackUs - prev.stackUs) / 1e4 / dtS),
          postgres: pct(now.servers.postgres - prev.servers.postgres),
          redis: pct(now.servers.redis - prev.servers.redis),
        },
      });
    }
    prev = now;
    waits = {};
    autovacuum = new Set();
  };

  const loop = (async () => {
    let tick = 0;
    while (!stopped) {
      const at = Date.now();
      try {
        if (tick % 10 === 0) await second();
        await sampleActivity();
      } catch {
        // A sample that fails (the pool busy at shutdown) is skipped, not fatal to the run.
      }
      tick += 1;
      await new Promise((r) => setTimeout(r, Math.max(0, at + 100 - Date.now())));
    }
  })();

  return {
    recent: (n) => seconds.slice(-n),
    async stop() {
      stopped = true;
      await loop;
      return seconds;
    },
  };
}

export interface TraceSummary {
  seconds: number;
  /** Seconds whose oldest unpaid boundary was over 1 s old. */
  slowSeconds: number;
  worstBacklogMs: number;
  /** The seconds around the worst one (5 before, 5 after), as recorded. */
  aroundWorst: TraceSecond[];
  /** Wait samples summed over the slow seconds and over the rest (share of samples, %). */
  waitsWhenSlow: Record<string, number>;
  waitsOtherwise: Record<string, number>;
  /** Seconds an autovacuum worker ran, slow and otherwise. */
  autovacuumSecondsSlow: number;
  autovacuumSeconds: number;
  stealPctSlow: number;
  stealPctOtherwise: number;
}

function shares(list: TraceSecond[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const s of list) for (const [k, v] of Object.entries(s.waits)) sum[k] = (sum[k] ?? 0) + v;
  const total = Object.values(sum).reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    Object.entries(sum)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, v]) => [k, Math.round((1000 * v) / Math.max(1, total)) / 10]),
  );
}

const mean = (xs: number[]): number => (xs.length === 0 ? 0 : Math.round((10 * xs.reduce((a, b) => a + b, 0)) / xs.length) / 10);

export function summarizeTrace(trace: TraceSecond[]): TraceSummary {
  const slow = trace.filter((s) => s.backlogMs > 1000);
  const rest = trace.filter((s) => s.backlogMs <= 1000);
  let worst = 0;
  trace.forEach((s, i) => {
    if (s.backlogMs > (trace[worst]?.backlogMs ?? 0)) worst = i;
  });
  return {
    seconds: trace.length,
    slowSeconds: slow.length,
    worstBacklogMs: trace[worst]?.backlogMs ?? 0,
    aroundWorst: trace.slice(Math.max(0, worst - 5), worst + 6),
    waitsWhenSlow: shares(slow),
    waitsOtherwise: shares(rest),
    autovacuumSecondsSlow: slow.filter((s) => s.autovacuum.length > 0).length,
    autovacuumSeconds: trace.filter((s) => s.autovacuum.length > 0).length,
    stealPctSlow: mean(slow.map((s) => s.cpu.steal)),
    stealPctOtherwise: mean(rest.map((s) => s.cpu.steal)),
  };
}

/** One line for a progress report: the second as it was. */
export function describeSecond(s: TraceSecond): string {
  const waits = Object.entries(s.waits)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  const av = s.autovacuum.length > 0 ? ` autovacuum[${s.autovacuum.join('; ')}]` : '';
  return `t=${s.t}s backlog ${s.backlogMs} ms, ${s.charges} charges, CPU busy ${s.cpu.busy}% steal ${s.cpu.steal}% (stack ${s.cpu.stack}%, pg ${s.cpu.postgres}%, redis ${s.cpu.redis}%), ckpt ${s.ckptBuffers} buf, WAL ${s.walMB} MB, waits ${waits}${av}`;
}
