// Turns the raw results of `npm run bench` into the terminal table and docs/BENCHMARKS.md.
// Every figure is min / median / max over the runs; each is compared with its target.
import { summarize, type Summary } from './common';

export interface BenchReport {
  quick: boolean;
  machine: { nproc: number; cpu: string; ramGiB: number; os: string; node: string; postgres: string; redis: string; date: string };
  postgresSettings: Record<string, string>;
  durationS: number;
  results: Record<string, unknown[]>;
  /** Set when docs/ were rendered from several runs (npm run bench -- --render=a.json,b.json). */
  mergedFrom?: string[];
}

interface Dist {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

interface Row {
  section: string;
  figure: string;
  value: Summary | null;
  unit: string;
  target?: { op: '>=' | '<=' | '='; value: number; label: string };
  note?: string;
}

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function fmt(v: number, unit: string): string {
  if (!Number.isFinite(v)) return '—';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  if (unit === 'KB' || unit === 'MB') return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
  if (unit === '×') return v.toFixed(1);
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function verdict(r: Row): 'PASS' | 'MISS' | '' {
  if (r.target === undefined || r.value === null || !Number.isFinite(r.value.median)) return r.target === undefined ? '' : 'MISS';
  // Judged on the median run, the worst run is shown beside it.
  const v = r.value.median;
  if (r.target.op === '>=') return v >= r.target.value ? 'PASS' : 'MISS';
  if (r.target.op === '<=') return v <= r.target.value ? 'PASS' : 'MISS';
  return v === r.target.value && r.value.max === r.target.value ? 'PASS' : 'MISS';
}

const ok = (results: unknown[] | undefined): Any[] => (results ?? []).filter((r): r is Any => typeof r === 'object' && r !== null && !('error' in r));
const pick = (runs: Any[], f: (r: Any) => number | undefined | null): Summary | null => {
  const values = runs.map(f).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return values.length === 0 ? null : summarize(values);
};

function rows(report: BenchReport): Row[] {
  const out: Row[] = [];
  const res = report.results;

  // Tick throughput
  const tp = ok(res.throughput)[0];
  if (tp !== undefined) {
    const lanes = typeof tp.concurrency === 'number' ? tp.concurrency : 1;
    for (const [n, r] of Object.entries(tp.results as Record<string, { settle: number[]; settle1?: number[]; tick: number[]; naive: number[]; floor?: number[] }>)) {
      const label = `N = ${Number(n).toLocaleString('en-US')}`;
      // Runs of small N settle several sets of N (throughput.ts chargesPerRun); each window's rate is kept.
      const windows = (tp.windows as Record<string, { settle: number[] }> | undefined)?.[n]?.settle ?? [];
      const perRun = windows.length > r.settle.length ? Math.round(windows.length / r.settle.length) : 1;
      const each = perRun > 1 ? `, each run ${perRun} settles of ${Number(n).toLocaleString('en-US')}` : '';
      out.push({ section: 'Tick throughput', figure: `${label}: set-based settle (${lanes} batch${lanes === 1 ? '' : 'es'} at once, as the tick runs it${each})`, value: summarize(r.settle), unit: 'charges/s', target: { op: '>=', value: 40_000, label: '≥ 40,000/s' } });
      if (perRun > 1) {
        out.push({ section: 'Tick throughput', figure: `${label}: the same, each settle of ${Number(n).toLocaleString('en-US')} on its own (${windows.length} windows)`, value: summarize(windows), unit: 'charges/s' });
      }
      if (r.settle1 !== undefined && r.settle1.length > 0) {
        out.push({ section: 'Tick throughput', figure: `${label}: set-based settle, one batch at a time`, value: summarize(r.settle1), unit: 'charges/s' });
      }
      out.push({ section: 'Tick throughput', figure: `${label}: real tick pass (Redis + settle + push look-up)`, value: summarize(r.tick), unit: 'charges/s' });
      out.push({ section: 'Tick throughput', figure: `${label}: naive, one transaction per session (pool 10)`, value: summarize(r.naive), unit: 'charges/s' });
      const ratios = r.settle.map((s, i) => s / (r.naive[i] ?? Number.NaN));
      out.push({ section: 'Tick throughput', figure: `${label}: ratio settle / naive`, value: summarize(ratios), unit: '×', target: { op: '>=', value: 20, label: '≥ 20' } });
      const tickRatios = r.tick.map((s, i) => s / (r.naive[i] ?? Number.NaN));
      out.push({ section: 'Tick throughput', figure: `${label}: ratio tick pass / naive`, value: summarize(tickRatios), unit: '×' });
      if (r.floor !== undefined && r.floor.length > 0) {
        out.push({ section: 'Tick throughput', figure: `${label}: write floor (bare UPDATE, UPDATE, INSERT per batch)`, value: summarize(r.floor), unit: 'charges/s' });
        out.push({ section: 'Tick throughput', figure: `${label}: settle as a share of the write floor`, value: summarize(r.settle.map((s, i) => (100 * s) / (r.floor?.[i] ?? Number.NaN))), unit: '%' });
      }
    }
    if (Array.isArray(tp.commitMs)) out.push({ section: 'Tick throughput', figure: 'one fsync’d commit (sequential, one connection)', value: summarize(tp.commitMs as number[]), unit: 'ms' });
    for (const [b, v] of Object.entries((tp.sweep ?? {}) as Record<string, number[]>)) {
      out.push({ section: 'Tick throughput', figure: `batch size ${Number(b).toLocaleString('en-US')} (settle of N = 10,000)`, value: summarize(v), unit: 'charges/s' });
    }
    out.push({ section: 'Tick throughput', figure: 'sequential scans in the settle plans (grown tables)', value: summarize([tp.plans.seqScans.length]), unit: '', target: { op: '=', value: 0, label: '0' }, note: tp.plans.seqScans.join(', ') });
    out.push({ section: 'Tick throughput', figure: 'ledger invariant violations after (every user and session)', value: summarize([tp.audit.discrepancies]), unit: '', target: { op: '=', value: 0, label: '0' } });
  }

  // Lateness
  for (const [n, target] of [
    [10_000, 250],
    [100_000, 1000],
  ] as const) {
    const runs = ok(res[`lateness-${n}`]);
    if (runs.length === 0) continue;
    const s = `Lateness at ${n.toLocaleString('en-US')} sessions (P = 6 s, ${runs[0]?.windowS} s window)`;
    if (runs.every((r) => typeof r.warmupS === 'number')) {
      out.push({ section: s, figure: 'warm-up: start-up backlog worked off (after scheduling all sessions)', value: pick(runs, (r) => r.warmupS), unit: 's', note: 'the window starts then' });
    }
    out.push({ section: s, figure: 'charge lateness p50', value: pick(runs, (r) => r.lateness.p50), unit: 'ms' });
    out.push({ section: s, figure: 'charge lateness p99', value: pick(runs, (r) => r.lateness.p99), unit: 'ms', target: { op: '<=', value: target, label: `≤ ${target} ms` } });
    out.push({ section: s, figure: 'charge lateness max', value: pick(runs, (r) => r.lateness.max), unit: 'ms' });
    if (runs.every((r) => r.trace !== undefined)) {
      out.push({ section: s, figure: 'seconds the oldest unpaid boundary was over 1 s old (per-second trace)', value: pick(runs, (r) => r.trace.slowSeconds), unit: 's', note: `of ${runs[0]?.trace.seconds}` });
    }
    out.push({ section: s, figure: 'boundaries owed in the window (billing rule)', value: pick(runs, (r) => r.expected), unit: '' });
    out.push({ section: s, figure: 'boundaries charged', value: pick(runs, (r) => r.charged), unit: '' });
    out.push({ section: s, figure: 'charges per second done', value: pick(runs, (r) => r.chargesPerS), unit: '/s', note: `${Math.round(n / 6).toLocaleString('en-US')}/s owed` });
    out.push({ section: s, figure: 'boundaries not charged by the pause (late or lost)', value: pick(runs, (r) => r.missing), unit: '', target: { op: '=', value: 0, label: '0' } });
    out.push({ section: s, figure: 'charges doubled', value: pick(runs, (r) => r.duplicateCharges), unit: '', target: { op: '=', value: 0, label: '0' } });
    out.push({ section: s, figure: 'boundaries paid more than a period late (multi-period rows)', value: pick(runs, (r) => r.multiPeriodRows), unit: '' });
    out.push({ section: s, figure: 'audit: balances or sessions not matching the ledger', value: pick(runs, (r) => r.audit.ledgerMismatches ?? r.audit.discrepancies), unit: '', target: { op: '=', value: 0, label: '0' } });
    out.push({ section: s, figure: 'audit: sessions overdue (> 10 s past their end) at the pause', value: pick(runs, (r) => r.audit.overdueSessions ?? 0), unit: '', target: { op: '=', value: 0, label: '0' } });
    out.push({ section: s, figure: 'exhaustion → settled (DB) p50', value: pick(runs, (r) => r.endLagDb.p50), unit: 'ms' });
    out.push({ section: s, figure: 'exhaustion → settled (DB) p99', value: pick(runs, (r) => r.endLagDb.p99), unit: 'ms' });
    out.push({ section: s, figure: 'exhaustion → `session.ended` received p50', value: pick(runs, (r) => r.endPush.p50), unit: 'ms', note: `${runs[0]?.endPush.n} ends seen by clients per run` });
    out.push({ section: s, figure: 'exhaustion → `session.ended` received p99', value: pick(runs, (r) => r.endPush.p99), unit: 'ms' });
    out.push({ section: s, figure: 'exhaustion → `session.ended` received max', value: pick(runs, (r) => r.endPush.max), unit: 'ms' });
    out.push({ section: s, figure: 'charge commit → `session.update` received p99', value: pick(runs, (r) => r.chargePush.p99), unit: 'ms' });
    out.push({ section: s, figure: 'stack process RSS at the end', value: pick(runs, (r) => r.memory.nodeRssEnd / 2 ** 20), unit: 'MB' });
    out.push({ section: s, figure: 'redis-server RSS at the end', value: pick(runs, (r) => (r.memory.redisRssEnd ?? Number.NaN) / 2 ** 20), unit: 'MB' });
    out.push({ section: s, figure: 'errors logged by the stack', value: pick(runs, (r) => r.logs?.errors), unit: '', target: { op: '=', value: 0, label: '0' } });
  }

  // API
  const api = ok(res.api)[0];
  if (api !== undefined) {
    const a = api.results as Record<string, Any[]>;
    const s = 'API (fixed rates open-loop, "as fast as it goes" with autocannon; tick running; 1,000 live sessions)';
    const g = (name: string, f: (r: Any) => number): Summary | null => pick(a[name] ?? [], f);
    out.push({ section: s, figure: 'status at 1,000 req/s: achieved rate', value: g('status@1000', (r) => r.rps), unit: 'req/s' });
    out.push({ section: s, figure: 'status at 1,000 req/s: p50', value: g('status@1000', (r) => r.p50), unit: 'ms' });
    out.push({ section: s, figure: 'status at 1,000 req/s: p99', value: g('status@1000', (r) => r.p99), unit: 'ms', target: { op: '<=', value: 20, label: '≤ 20 ms' } });
    out.push({ section: s, figure: 'profile at 1,000 req/s: p50', value: g('profile@1000', (r) => r.p50), unit: 'ms' });
    out.push({ section: s, figure: 'profile at 1,000 req/s: p99', value: g('profile@1000', (r) => r.p99), unit: 'ms' });
    out.push({ section: s, figure: 'status, as fast as 50 connections go', value: g('status-max', (r) => r.rps), unit: 'req/s' });
    out.push({ section: s, figure: 'status, as fast as it goes: p99', value: g('status-max', (r) => r.p99), unit: 'ms' });
    out.push({ section: s, figure: 'start/stop cycle (20 users): requests', value: g('startstop', (r) => r.rps), unit: 'req/s' });
    out.push({ section: s, figure: 'start/stop cycle: p50', value: g('startstop', (r) => r.p50), unit: 'ms' });
    out.push({ section: s, figure: 'start/stop cycle: p99', value: g('startstop', (r) => r.p99), unit: 'ms' });
    out.push({ section: s, figure: 'start/stop cycle: unexpected statuses', value: g('startstop', (r) => r.errors + r.timeouts + Object.entries(r.statusCodes as Record<string, number>).filter(([c]) => !['200', '201', '409', '404'].includes(c)).reduce((x, [, n]) => x + n, 0)), unit: '', target: { op: '=', value: 0, label: '0' } });
    out.push({ section: s, figure: 'status at 1,000 req/s while logins run: achieved rate', value: g('status+login', (r) => r.rps), unit: 'req/s' });
    out.push({ section: s, figure: 'status at 1,000 req/s while logins run: p99', value: g('status+login', (r) => r.p99), unit: 'ms', target: { op: '<=', value: 20, label: '≤ 20 ms (not blocked)' } });
    out.push({ section: s, figure: 'status at 1,000 req/s: longest GC pause on the event loop that answers', value: g('status@1000', (r) => r.gc?.maxMs ?? Number.NaN), unit: 'ms' });
    out.push({ section: s, figure: 'status at 1,000 req/s: time in GC pauses on that event loop', value: g('status@1000', (r) => (r.gc === undefined ? Number.NaN : (100 * r.gc.totalMs) / (1000 * r.requests / Math.max(1, r.rps)))), unit: '%' });
    out.push({ section: s, figure: 'CPU stolen by the hypervisor during the status runs (status@1000, status+login)', value: pick([...(a['status@1000'] ?? []), ...(a['status+login'] ?? [])], (r) => r.stealPct ?? Number.NaN), unit: '%' });
    out.push({ section: s, figure: 'logins (bcrypt, 12 rounds; 4 connections)', value: g('login', (r) => r.rps), unit: 'logins/s' });
    out.push({ section: s, figure: 'login p50', value: g('login', (r) => r.p50), unit: 'ms' });
  }

  // Push
  const push = ok(res.push)[0];
  if (push !== undefined) {
    const s = `Push (${push.clients.toLocaleString('en-US')} WebSocket clients, each with a live session)`;
    const w = push.windows as Array<{ latency: Dist; matched: number; expected: number }>;
    out.push({ section: s, figure: 'charge commit → update received p50', value: summarize(w.map((x) => x.latency.p50)), unit: 'ms' });
    out.push({ section: s, figure: 'charge commit → update received p99', value: summarize(w.map((x) => x.latency.p99)), unit: 'ms', target: { op: '<=', value: 50, label: '≤ 50 ms' } });
    out.push({ section: s, figure: 'charge commit → update received max', value: summarize(w.map((x) => x.latency.max)), unit: 'ms' });
    out.push({ section: s, figure: 'CPU stolen by the hypervisor during the windows', value: pick(w as Any[], (x) => x.stealPct), unit: '%' });
    out.push({ section: s, figure: 'charges not received by their client', value: summarize(w.map((x) => x.expected - x.matched)), unit: '', target: { op: '=', value: 0, label: '0' } });
  }

  // Size
  const size = ok(res.size)[0];
  if (size !== undefined) {
    const s = 'Size';
    const bundles = (size.bundles as Array<{ entry: string; raw?: number; gzip?: number }>).filter((b) => b.raw !== undefined);
    const largest = [...bundles].sort((x, y) => (y.raw ?? 0) - (x.raw ?? 0))[0];
    out.push({ section: s, figure: `largest handler bundle (${largest?.entry}), minified`, value: summarize([(largest?.raw ?? Number.NaN) / 1024]), unit: 'KB', target: { op: '<=', value: 1024, label: '≤ 1 MB' } });
    out.push({ section: s, figure: 'largest handler bundle, gzip', value: summarize([(largest?.gzip ?? Number.NaN) / 1024]), unit: 'KB' });
    const dash = size.pages['dashboard.html'];
    if (dash !== undefined) out.push({ section: s, figure: `site first-load JS (dashboard, ${dash.scripts} scripts; the noModule polyfills, which module browsers skip, not counted), gzip`, value: summarize([dash.gzip / 1024]), unit: 'KB', target: { op: '<=', value: 150, label: '≤ 150 KB' } });
    const l10 = ok(res['lateness-10000']);
    if (l10.length > 0) {
      out.push({ section: s, figure: 'local stack at 10,000 sessions: Node process RSS', value: pick(l10, (r) => r.memory.nodeRssEnd / 2 ** 20), unit: 'MB' });
      out.push({ section: s, figure: 'local stack at 10,000 sessions: redis-server RSS', value: pick(l10, (r) => (r.memory.redisRssEnd ?? Number.NaN) / 2 ** 20), unit: 'MB' });
    }
  }

  // Soak
  const soak = ok(res.soak)[0];
  if (soak !== undefined) {
    const s = `Soak (${Math.round(soak.durationS / 60)} min, ${soak.users.toLocaleString('en-US')} sessions, ${soak.actors} API users, ${soak.sockets} reconnecting sockets)`;
    const errors = soak.errors.http + soak.errors.socketsRefused + soak.errors.socketErrors + (soak.logs?.errors ?? 0);
    out.push({ section: s, figure: 'API requests', value: summarize([soak.requests]), unit: '' });
    out.push({ section: s, figure: 'socket reconnects', value: summarize([soak.reconnects]), unit: '' });
    out.push({ section: s, figure: 'errors (HTTP, sockets, ERROR logs)', value: summarize([errors]), unit: '', target: { op: '=', value: 0, label: '0' } });
    out.push({ section: s, figure: 'audit discrepancies', value: summarize([soak.audit.discrepancies]), unit: '', target: { op: '=', value: 0, label: '0' } });
    out.push({ section: s, figure: 'stack RSS first / last / max', value: { min: soak.memory.rssFirst / 2 ** 20, median: soak.memory.rssLast / 2 ** 20, max: soak.memory.rssMax / 2 ** 20, runs: [] }, unit: 'MB', note: 'columns: first, last, max' });
    out.push({ section: s, figure: 'heap after GC, trend over the second half', value: summarize([soak.memory.heapSlopeMBPerMin]), unit: 'MB/min', target: { op: '<=', value: 0.5, label: '≤ 0.5 MB/min (flat)' } });
  }
  return out;
}

export function renderTable(report: BenchReport): { table: string; failures: number } {
  const all = rows(report);
  const lines: string[] = [];
  let section = '';
  let failures = 0;
  const w = 62;
  lines.push(`${'figure'.padEnd(w)} ${'min'.padStart(10)} ${'median'.padStart(10)} ${'max'.padStart(10)}  unit        target            `);
  for (const r of all) {
    if (r.section !== section) {
      section = r.section;
      lines.push(`\n${section}`);
    }
    const v = verdict(r);
    if (v === 'MISS') failures += 1;
    const val = r.value;
    lines.push(
      `  ${r.figure.slice(0, w - 2).padEnd(w - 2)} ${(val ? fmt(val.min, r.unit) : '—').padStart(10)} ${(val ? fmt(val.median, r.unit) : '—').padStart(10)} ${(val ? fmt(val.max, r.unit) : '—').padStart(10)}  ${r.unit.padEnd(10)}  ${(r.target?.label ?? '').padEnd(16)} ${v}`,
    );
  }
  for (const [key, list] of Object.entries(report.results)) {
    for (const r of list) {
      if (typeof r !== 'object' || r === null || !('error' in r)) continue;
      lines.push(`\n${key}: FAILED (${String((r as Any).error)})`);
      failures += 1;
    }
  }
  return { table: lines.join('\n'), failures };
}

function mdTable(all: Row[]): string {
  const out: string[] = [];
  let section = '';
  for (const r of all) {
    if (r.section !== section) {
      section = r.section;
      out.push(`\n### ${section}\n`);
      out.push('| figure | min | median | max | unit | target | |');
      out.push('|---|---:|---:|---:|---|---|---|');
    }
    const v = r.value;
    const cells = v === null ? ['—', '—', '—'] : [fmt(v.min, r.unit), fmt(v.median, r.unit), fmt(v.max, r.unit)];
    const figure = r.note === undefined || r.note === '' ? r.figure : `${r.figure} (${r.note})`;
    out.push(`| ${figure} | ${cells.join(' | ')} | ${r.unit} | ${r.target?.label ?? ''} | ${verdict(r)} |`);
  }
  return out.join('\n');
}

/** Every Lambda bundle, as the CDK stack builds it (esbuild, minified, ESM, node20, @aws-sdk/* external). */
function bundleTable(report: BenchReport): string {
  const size = ok(report.results.size)[0];
  if (size === undefined) return '';
  const lines = ['\n### Lambda handler bundles (each ≤ 1 MB)\n', '| handler | minified KB | gzip KB | |', '|---|---:|---:|---|'];
  for (const b of size.bundles as Array<{ entry: string; raw?: number; gzip?: number; missing?: boolean }>) {
    if (b.missing === true || b.raw === undefined || b.gzip === undefined) lines.push(`| ${b.entry} | — | — | not written yet |`);
    else lines.push(`| ${b.entry} | ${fmt(b.raw / 1024, 'KB')} | ${fmt(b.gzip / 1024, 'KB')} | ${b.raw <= 1024 * 1024 ? 'PASS' : 'MISS'} |`);
  }
  return lines.join('\n');
}

export function renderMarkdown(report: BenchReport, notes: string): string {
  const m = report.machine;
  const all = rows(report);
  const verdicts = all.filter((r) => r.target !== undefined).map(verdict);
  const pass = verdicts.filter((v) => v === 'PASS').length;
  const loads = Object.entries(report.results).flatMap(([k, list]) => list.map((r) => `${k} ${((r as Any).loadAvg ?? []).join('/')}`));
  return `# Benchmarks

Generated by \`npm run bench\` (bench/main.ts) on ${m.date.slice(0, 10)}; the raw results are in
[benchmarks.json](benchmarks.json). ${pass} of ${verdicts.length} figures with a target meet it.
Every figure is min / median / max over at least three runs (the sizes are deterministic and
measured once; the soak is one bounded run); PASS/MISS is judged on the median.

## Machine

| | |
|---|---|
| CPUs (nproc) | ${m.nproc} × ${m.cpu} |
| RAM | ${m.ramGiB} GiB |
| OS | ${m.os} |
| Node.js | ${m.node} |
| PostgreSQL | ${m.postgres}; ${Object.entries(report.postgresSettings).map(([k, v]) => `${k}=${v}`).join(', ')} |
| Redis | ${m.redis} |
| Date | ${m.date} |
| Whole run | ${Math.round(report.durationS / 60)} min${report.quick ? ' (--quick)' : ''}${report.mergedFrom === undefined ? '' : `, merged from ${report.mergedFrom.join(' and ')} (a scenario re-run alone replaces the full run's)`} |

The 1-, 5- and 15-minute load averages at the end of each scenario run were: ${loads.join('; ')}.
They count the benchmark's own processes (the stack, PostgreSQL, Redis, the load generator and
WebSocket fleet) and anything else that ran on the machine; with ${m.nproc} cores, a load above
${m.nproc} means processes waited for a core.

## Results
${mdTable(all)}
${bundleTable(report)}

${notes}
`;
}
