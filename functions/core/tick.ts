// The tick: takes the due sessions from the schedule in bounded batches, settles each batch with
// one set-based statement (`concurrency` batches at once, each in its own transaction), re-scores
// them in one pipelined Redis call, and pushes the updates while the next batches settle.
// Two ticks at once, a tick run twice, or one that dies between PostgreSQL and Redis charge
// nothing extra: the settle recomputes what is due from stored state under row locks. Batches
// settled at once never deadlock: each locks its sessions in id order, then their users, and a
// user has one active session.
import type { Logger } from './log';
import { pushSettlements, rescheduleSettlements } from './sessions';
import { dueSessions, ensureSchedule, nextDueMs, reconcileSchedule, removeFromSchedule } from './schedule';
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
 * The batches a pass settles at once: at most `batchSize` ids each, and as many as `lanes` when
 * there are fewer ids than that (1,000 due on 2 lanes: two batches of 500), in equal parts.
 */
export function splitBatches<T>(ids: readonly T[], batchSize: number, lanes: number): T[][] {
  if (ids.length === 0) return [];
  const count = Math.max(Math.ceil(ids.length / batchSize), Math.min(Math.max(1, lanes), ids.length));
  const size = Math.ceil(ids.length / count);
  const out: T[][] = [];
  for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size));
  return out;
}

export async function tickPass(opts: TickOptions, nowMs: () => number = Date.now): Promise<PassResult> {
  const lanes = Math.max(1, Math.floor(opts.concurrency ?? 1));
  let rebuilt = false;
  let settled = 0;
  let charged = 0;
  let ended = 0;
  let batches = 0;
  let maxLatenessMs = 0;
  // One round of pushes in flight while the next round settles; awaited before the pass ends.
  let pushing: Promise<unknown> = Promise.resolve();
  try {
    while (batches < opts.maxBatches) {
      const want = Math.min(lanes, opts.maxBatches - batches) * opts.batchSize;
      let due = await dueSessions(nowMs(), want);
      if (!due.built) {
        // The schedule was emptied (or never built): rebuild it from PostgreSQL before charging.
        const r = await ensureSchedule(opts.periodMs);
        rebuilt ||= r.rebuilt;
        due = await dueSessions(nowMs(), want);
      }
      if (due.ids.length === 0) break;
      const chunks = splitBatches(due.ids, opts.batchSize, lanes);
      batches += chunks.length;
      const outcomes = await Promise.allSettled(chunks.map((ids) => settleSessions(ids, opts.periodMs)));
      const results = outcomes.flatMap((o) => (o.status === 'fulfilled' ? o.value : []));
      const active = new Set(results.map((r) => r.session.id));
      const gone = chunks.flatMap((ids, i) => (outcomes[i]?.status === 'fulfilled' ? ids.filter((id) => !active.has(id)) : []));
      settled += results.length;
      for (const r of results) {
        charged += r.paid;
        if (r.ended) ended += 1;
        maxLatenessMs = Math.max(maxLatenessMs, latenessMs(r, opts.periodMs));
      }
      // The schedule first, so the next read does not find these sessions due again.
      await Promise.all([rescheduleSettlements(results, opts), gone.length > 0 ? removeFromSchedule(gone).catch(() => undefined) : undefined]);
      await pushing;
      pushing = pushSettlements(results, opts);
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      if (due.ids.length < want) break;
    }
  } finally {
    await pushing;
  }
  return { settled, charged, ended, batches, rebuilt, maxLatenessMs };
}

export interface LoopOptions extends TickOptions {
  /** Stop before this time (epoch ms); in Lambda, shortly before the minute is up. */
  readonly untilMs: number;
  /** The longest sleep between passes. */
  readonly tickMs: number;
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

/** Loops passes until `untilMs`, sleeping until the next charge is due but never longer than tickMs. */
export async function runTickLoop(opts: LoopOptions): Promise<{ passes: number; charged: number; ended: number; maxLatenessMs: number }> {
  let passes = 0;
  let charged = 0;
  let ended = 0;
  let maxLatenessMs = 0;
  const reconcileEveryMs = 60_000;
  let nextReconcileMs = 0;
  while (Date.now() < opts.untilMs && opts.signal?.aborted !== true) {
    const started = Date.now();
    try {
      if (started >= nextReconcileMs) {
        await ensureSchedule(opts.periodMs);
        const added = await reconcileSchedule(opts.periodMs);
        if (added > 0) opts.log.warn('schedule reconciled', { added });
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
      const nextMs = await nextDueMs();
      const now = Date.now();
      let wait = nextMs === null ? opts.tickMs : Math.min(opts.tickMs, Math.max(0, nextMs - now));
      // Due by this clock but not yet by the database's (skew): do not spin.
      if (wait === 0 && r.charged === 0 && r.ended === 0) wait = Math.min(opts.tickMs, 10);
      await sleep(Math.min(wait, Math.max(0, opts.untilMs - now)), opts.signal);
    } catch (err) {
      opts.log.error('tick pass failed', { route: 'tick', err });
      await sleep(Math.min(opts.tickMs || 1000, Math.max(0, opts.untilMs - Date.now())), opts.signal);
    }
  }
  return { passes, charged, ended, maxLatenessMs };
}
