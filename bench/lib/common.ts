// Shared helpers for the benchmark: statistics, progress lines, the result line a scenario
// prints on stdout, process memory, and a few SQL snippets. Nothing here touches the product.
import fs from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

export const resultPrefix = 'BENCH_RESULT ';

/** Progress goes to stderr (main.ts forwards it); stdout carries only the result line. */
export function progress(scope: string, msg: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`  [${t}] ${scope}: ${msg}\n`);
}

export function emitResult(result: unknown): void {
  process.stdout.write(`${resultPrefix}${JSON.stringify(result)}\n`);
}

/** Nearest-rank percentile of an ascending-sorted array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export interface Dist {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export function dist(values: readonly number[]): Dist {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
  };
}

export interface Summary {
  min: number;
  median: number;
  max: number;
  runs: number[];
}

export function summarize(runs: readonly number[]): Summary {
  const sorted = [...runs].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN, runs: [...runs] };
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { min: sorted[0] as number, median, max: sorted[sorted.length - 1] as number, runs: [...runs] };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resident set size of a process in bytes, from /proc (Linux); null when unreadable. */
export function rssOfPid(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m?.[1] === undefined ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

/** Child processes of `pid` whose command line matches `pattern` (Linux /proc). */
export function childPids(pid: number, pattern: RegExp): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (pattern.test(cmd)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export const mb = (bytes: number): number => Math.round((bytes / (1024 * 1024)) * 10) / 10;

/** Scenario parameters arrive as JSON in BENCH_PARAMS. */
export function params<T>(): T {
  const raw = process.env.BENCH_PARAMS;
  if (raw === undefined) throw new Error('BENCH_PARAMS is not set: run scenarios through npm run bench');
  return JSON.parse(raw) as T;
}

export function databaseUrl(): string {
  const url = process.env.BENCH_DATABASE_URL;
  if (url === undefined) throw new Error('BENCH_DATABASE_URL is not set: run scenarios through npm run bench');
  return url;
}

/** Least-squares slope of y over x (per unit of x). */
export function slope(points: ReadonlyArray<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The machine's CPU time so far (/proc/stat, clock ticks), or null where there is none. */
export function cpuTicks(): { idle: number; iowait: number; steal: number; total: number } | null {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …: idle time is idle + iowait.
    return { idle: (f[3] ?? 0) + (f[4] ?? 0), iowait: f[4] ?? 0, steal: f[7] ?? 0, total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/**
 * Starts measuring the share of this VM's CPU time the hypervisor gave to others ("steal",
 * /proc/stat); the returned function gives it in % since the start (NaN where there is no
 * /proc/stat). On a shared 2-vCPU VM a run with tens of % stolen measures the neighbours.
 */
export function stealMeter(): () => number {
  const start = cpuTicks();
  return () => {
    const end = cpuTicks();
    if (start === null || end === null || end.total === start.total) return Number.NaN;
    return Math.round((1000 * (end.steal - start.steal)) / (end.total - start.total)) / 10;
  };
}

/** Garbage-collection pauses on this thread (where the local stack answers the API) from now on. */
export interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
}

/** Starts counting this thread's GC pauses; the returned function stops and reports them. */
export function gcMeter(): () => GcPauses {
  const pauses: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    for (const entry of observer.takeRecords()) pauses.push(entry.duration);
    observer.disconnect();
    const round = (v: number): number => Math.round(v * 10) / 10;
    return { count: pauses.length, totalMs: round(pauses.reduce((a, b) => a + b, 0)), maxMs: round(Math.max(0, ...pauses)) };
  };
}
