// bcrypt (bcryptjs) off the event loop. A hash or compare at 12 rounds is ~300 ms of CPU: in
// Lambda each invocation has its container to itself, so it runs inline; in one long-lived
// process (the local stack) it runs on worker threads, so logins never stall other requests.
// On Linux each worker thread also gives way to everything else on the machine: it asks for
// SCHED_IDLE (through util-linux's `chrt`, as Node has no sched_setscheduler), under which a
// thread runs only on a core nothing else wants and any thread that wakes takes the core from
// it at once. Under nice 10 (the fallback where chrt is missing or refused) a request thread
// that woke on the hashing core could still wait out the hasher's time slice: status p99 at
// 1,000 requests/s went from ~8 ms to 21–33 ms while logins ran (docs/BENCHMARKS.md). A login
// then waits for idle CPU; on a machine busy for seconds at a time it waits that long.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { config } from '../config';

type Job = { op: 'hash'; password: string; rounds: number } | { op: 'compare'; password: string; hash: string };

// CommonJS source for the worker. It loads bcryptjs from the path this module resolved (the
// process's working directory may be anywhere); Lambda bundles run inline instead.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
try {
  // /proc/thread-self -> "<pid>/task/<tid>"; a scheduling call on a thread id applies to that
  // thread only.
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) {
    try {
      require('node:child_process').execFileSync('chrt', ['--idle', '--pid', '0', String(tid)], { stdio: 'ignore', timeout: 5000 });
    } catch {
      require('node:os').setPriority(tid, workerData.nice);
    }
  }
} catch {
  // Not Linux, or not allowed: the worker runs at the process's priority.
}
parentPort.on('message', (job) => {
  const done = (result, error) => parentPort.postMessage({ id: job.id, result, error });
  try {
    if (job.op === 'hash') done(bcrypt.hashSync(job.password, job.rounds));
    else done(bcrypt.compareSync(job.password, job.hash));
  } catch (err) {
    done(undefined, String(err && err.message || err));
  }
});`;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

let pool: Worker[] | undefined;
let next = 0;
let nextId = 1;
const pending = new Map<number, Pending>();

function workers(): Worker[] {
  if (pool === undefined) {
    const n = config().passwordWorkers;
    const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
    pool = Array.from({ length: n }, () => {
      const w = new Worker(workerSource, { eval: true, workerData: { bcryptPath, nice: 10 } });
      w.unref();
      // A worker that dies fails what it had in hand; the next call starts a new pool.
      w.on('error', (err) => {
        for (const [id, p] of pending) {
          pending.delete(id);
          p.reject(err);
        }
        pool = undefined;
      });
      w.on('message', (m: { id: number; result?: unknown; error?: string }) => {
        const p = pending.get(m.id);
        if (p === undefined) return;
        pending.delete(m.id);
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.result);
      });
      return w;
    });
  }
  return pool;
}

function run<T>(job: Job): Promise<T> {
  const all = workers();
  const worker = all[next++ % all.length];
  if (worker === undefined) throw new Error('no password worker');
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    worker.postMessage({ ...job, id });
  });
}

export function hashPassword(password: string, rounds: number): Promise<string> {
  if (config().passwordWorkers === 0) return bcrypt.hash(password, rounds);
  return run<string>({ op: 'hash', password, rounds });
}

export function comparePassword(password: string, hash: string): Promise<boolean> {
  if (config().passwordWorkers === 0) return bcrypt.compare(password, hash);
  return run<boolean>({ op: 'compare', password, hash });
}

/** Stops the worker threads (tests, shutdown). */
export async function closePasswordWorkers(): Promise<void> {
  const all = pool ?? [];
  pool = undefined;
  await Promise.all(all.map((w) => w.terminate()));
}
