// The tick: takes the due sessions from the schedule in bounded batches, settles each batch with
// one set-based statement (`concurrency` batches at once, each in its own transaction), re-scores
// them in one pipelined Redis call, and pushes the updates while the next batches settle.
// Two ticks at once, a tick run twice, or one that dies between PostgreSQL and Redis charge
// nothing extra: the settle recomputes what is due from stored state under row locks. Batches
// settled at once never deadlock: each locks its sessions in id order, then their users, and a
// user has one active session.
import type { Config } from '../config';
import type { Logger } from './log';
import { pushSettlements, rescheduleSettlements } from './sessions';
import { dueSessions, ensureSchedule, nextDueMs, reconcileSchedule } from './schedule';
import { settleSessions, type SettleResult } from './store';

export interface TickOptions {
  readonly periodMs: number;
  readonly batchSize: number;
  readonly maxBatches: number;
  /** Batches settled at once (default 1). */
  readonly concurrency?: number;
  readonly log: Logger;
}

export interface PassResult {
  readonly settled: number;
  readonly charged: number;
  readonly ended: number;
  readonly batches: number;
  readonly rebuilt: boolean;
  /** How late the oldest due charge of this pass was (ms; 0 when nothing was due). */
  readonly maxLatenessMs: number;
}

/** How late each settle's first unpaid boundary was when it committed. */
function latenessMs(r: SettleResult, periodMs: number): number {
  if (r.paid === 0 && !r.ended) return 0;
  const firstUnpaidMs = r.session.startMs + (r.session.creditsConsumed - r.paid) * periodMs;
  return Math.max(0, r.nowMs - firstUnpaidMs);
}

/**
 * The batches `lanes` lanes settle from `ids`: at most `batchSize` ids each, and one per lane when
 * there are fewer ids than lanes × batchSize (1,000 due on 2 lanes: two batches of 500).
 */
export function splitBatches<T>(ids: readonly T[], batchSize: number, lanes: number): T[][] {
  if (ids.length === 0) return [];
  const count = Math.max(Math.ceil(ids.length / batchSize), Math.min(Math.max(1, lanes), ids.length));
  const size = Math.ceil(ids.length / count);
  const out: T[][] = [];
  for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size));
  return out;
}

/**
 * One pass: settles everything due now, in lanes. Each lane claims a batch of due sessions,
 * settles it (one statement, its own transaction), re-scores it in the schedule, hands its pushes
 * off and claims the next; while one lane waits for Redis another is in PostgreSQL. Claims are
 * made one at a time and skip the sessions other lanes hold, so no session is settled twice by
 * one pass (two passes or two ticks at once would only find nothing left to charge). When fewer
 * sessions are due than the lanes could take, they are split evenly over the lanes.
 */
export async function tickPass(opts: TickOptions, nowMs: () => number = Date.now): Promise<PassResult> {
  const lanes = Math.max(1, Math.floor(opts.concurrency ?? 1));
  const totals = { settled: 0, charged: 0, ended: 0, batches: 0, maxLatenessMs: 0 };
  let rebuilt = false;
  let drained = false;
  const held = new Set<string>();
  const queued: string[][] = [];
  let claiming: Promise<unknown> = Promise.resolve();

  const read = async (): Promise<void> => {
    const want = Math.min(lanes, opts.maxBatches - totals.batches) * opts.batchSize;
    if (want <= 0) {
      drained = true;
      return;
    }
    let due = await dueSessions(nowMs(), want + held.size);
    if (!due.built) {
      // The schedule was emptied (or never built): rebuild it from PostgreSQL before charging.
      const r = await ensureSchedule(opts.periodMs);
      rebuilt ||= r.rebuilt;
      due = await dueSessions(nowMs(), want + held.size);
    }
    const fresh = due.ids.filter((id) => !held.has(id)).slice(0, want);
    if (due.ids.length < want + held.size) drained = true;
    const batches = splitBatches(fresh, opts.batchSize, lanes).slice(0, opts.maxBatches - totals.batches);
    totals.batches += batches.length;
    for (const b of batches) for (const id of b) held.add(id);
    queued.push(...batches);
  };
  /** The next batch for a lane, or null when nothing more is due (claims are serialized). */
  const claim = (): Promise<string[] | null> => {
    const next = claiming.then(async () => {
      if (queued.length === 0 && !drained) await read();
      return queued.shift() ?? null;
    });
    claiming = next.catch(() => undefined);
    return next;
  };

  const lane = async (): Promise<void> => {
    let pushing: Promise<unknown> = Promise.resolve();
    try {
      for (let ids = await claim(); ids !== null; ids = await claim()) {
        try {
          const results = await settleSessions(ids, opts.periodMs);
          const active = new Set(results.map((r) => r.session.id));
          const gone = ids.filter((id) => !active.has(id));
          totals.settled += results.length;
          for (const r of results) {
            totals.charged += r.paid;
            if (r.ended) totals.ended += 1;
            totals.maxLatenessMs = Math.max(totals.maxLatenessMs, latenessMs(r, opts.periodMs));
          }
          // The schedule first, so the next read does not find these sessions due again.
          await rescheduleSettlements(results, opts, gone);
          await pushing;
          pushing = pushSettlements(results, opts);
        } finally {
          for (const id of ids) held.delete(id);
        }
      }
    } finally {
      await pushing;
    }
  };

  const outcomes = await Promise.allSettled(Array.from({ length: lanes }, lane));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return { ...totals, rebuilt };
}

export interface LoopOptions extends TickOptions {
  /** Stop before this time (epoch ms); in Lambda, shortly before the minute is up. */
  readonly untilMs: number;
  /** The longest sleep between passes. */
  readonly tickMs: number;
  /** The least time between pass starts (passFloorMs; TICK_MIN_PASS_MS). */
  readonly minPassMs: number;
  readonly signal?: AbortSignal;
  readonly onPass?: (r: PassResult) => void;
}

function sleep(msValue: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const t = setTimeout(done, Math.max(0, msValue));
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The most time passFloorMs asks between pass starts. */
export const maxPassFloorMs = 100;

/**
 * How long after a pass started the next may start (unless a charge is due later anyway):
 * twice the time the last pass took, so the tick is busy at most half the time it is not
 * behind, within `minMs` (TICK_MIN_PASS_MS, default 20) and 100 ms, and at most tickMs / 2.
 * With charges due every few milliseconds, a pass right after each would settle a handful of
 * sessions at a transaction's fixed cost each; with this floor a pass that took long (many sessions) is followed 100 ms later by one
 * that takes what fell due meanwhile in full batches, and a light load (passes of a few
 * milliseconds) is charged within ~20 ms of its boundaries. The sooner a boundary is charged,
 * the fewer reads find it due and settle it themselves (docs/BENCHMARKS.md).
 */
export function passFloorMs(lastPassMs: number, tickMs: number, minMs: number): number {
  return Math.min(Math.floor(tickMs / 2), Math.max(Math.min(minMs, maxPassFloorMs), Math.min(maxPassFloorMs, 2 * lastPassMs)));
}

/**
 * Loops passes until `untilMs`, sleeping until the next charge is due but never longer than
 * tickMs, and never starting passes closer together than passFloorMs. A pass that hit its
 * batch cap (a backlog) is followed at once.
 */
/** The loop's settings from the configuration (the tick Lambda and the local stack's thread). */
export function loopSettings(c: Config): Pick<LoopOptions, 'periodMs' | 'batchSize' | 'maxBatches' | 'concurrency' | 'minPassMs' | 'tickMs'> {
  return {
    periodMs: c.periodMs,
    batchSize: c.tickBatchSize,
    maxBatches: c.tickMaxBatches,
    concurrency: c.tickConcurrency,
    minPassMs: c.tickMinPassMs,
    // TICK_MS=0 switches the local tick off; a tick that runs anyway sleeps at most 1 s.
    tickMs: c.tickMs > 0 ? c.tickMs : 1000,
  };
}

export async function runTickLoop(opts: LoopOptions): Promise<{ passes: number; charged: number; ended: number; maxLatenessMs: number }> {
  let passes = 0;
  let charged = 0;
  let ended = 0;
  let maxLatenessMs = 0;
  const reconcileEveryMs = 60_000;
  let nextReconcileMs = 0;
  // The reconcile reads every active session: it runs beside the passes, not in front of them.
  // It only adds what is missing (ZADD NX); a schedule that is gone altogether is rebuilt by the
  // pass itself before it charges anything.
  let reconciling: Promise<void> = Promise.resolve();
  const reconcile = async (): Promise<void> => {
    try {
      const added = await reconcileSchedule(opts.periodMs);
      if (added > 0) opts.log.warn('schedule reconciled', { added });
    } catch (err) {
      opts.log.error('schedule reconcile failed', { route: 'tick', err });
    }
  };
  while (Date.now() < opts.untilMs && opts.signal?.aborted !== true) {
    const started = Date.now();
    try {
      if (started >= nextReconcileMs) {
        await reconciling;
        reconciling = reconcile();
        nextReconcileMs = started + reconcileEveryMs;
      }
      const r = await tickPass(opts);
      passes += 1;
      charged += r.charged;
      ended += r.ended;
      maxLatenessMs = Math.max(maxLatenessMs, r.maxLatenessMs);
      opts.onPass?.(r);
      if (r.settled > 0) {
        opts.log.info('tick pass', { route: 'tick', settled: r.settled, charged: r.charged, ended: r.ended, batches: r.batches, rebuilt: r.rebuilt, latenessMs: r.maxLatenessMs, durationMs: Date.now() - started });
      }
      if (r.batches >= opts.maxBatches) continue;
      const nextMs = await nextDueMs();
      const now = Date.now();
      const floorMs = passFloorMs(now - started, opts.tickMs, opts.minPassMs);
      let wait = nextMs === null ? opts.tickMs : Math.min(opts.tickMs, Math.max(0, nextMs - now, started + floorMs - now));
      // Due by this clock but not yet by the database's (skew): do not spin.
      if (wait === 0 && r.charged === 0 && r.ended === 0) wait = Math.min(opts.tickMs, 10);
      await sleep(Math.min(wait, Math.max(0, opts.untilMs - now)), opts.signal);
    } catch (err) {
      opts.log.error('tick pass failed', { route: 'tick', err });
      await sleep(Math.min(opts.tickMs || 1000, Math.max(0, opts.untilMs - Date.now())), opts.signal);
    }
  }
  await reconciling;
  return { passes, charged, ended, maxLatenessMs };
}
