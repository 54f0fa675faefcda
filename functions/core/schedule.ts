// The schedule: a Redis sorted set of active session ids scored by their next charge time (ms).
// It is a fast path, never the truth: a marker key says it was built from PostgreSQL; when the
// marker is gone (a flush, a new Redis) the schedule is rebuilt before the tick charges anything.
import { withRedis, type RedisPipeline } from '../adapters/redis';
import { countActiveSessions, listActiveSessions } from './store';

const scheduleKey = 'schedule:sessions';
const markerKey = 'schedule:built';
const rebuildChunk = 5000;

export interface ScheduleEntry {
  readonly id: string;
  readonly scoreMs: number;
}

/** Queues ZADDs of `entries` on `p`, in chunks; with `nx`, existing members keep their score. */
function queueZadd(p: RedisPipeline, entries: readonly ScheduleEntry[], nx = false): void {
  for (let i = 0; i < entries.length; i += rebuildChunk) {
    const [first, ...rest] = entries.slice(i, i + rebuildChunk).map((e) => ({ score: e.scoreMs, member: e.id }));
    if (first === undefined) continue;
    if (nx) p.zadd(scheduleKey, { nx: true }, first, ...rest);
    else p.zadd(scheduleKey, first, ...rest);
  }
}

export async function addToSchedule(entries: readonly ScheduleEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await withRedis(async (r) => {
    const p = r.pipeline();
    queueZadd(p, entries);
    await p.exec();
  });
}

export async function removeFromSchedule(ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await withRedis((r) => r.zrem(scheduleKey, ...ids));
}

/** Re-scores the still-active sessions and removes the ended ones, in one pipelined call. */
export async function updateSchedule(rescore: readonly ScheduleEntry[], remove: readonly string[]): Promise<void> {
  if (rescore.length === 0 && remove.length === 0) return;
  await withRedis(async (r) => {
    const p = r.pipeline();
    queueZadd(p, rescore);
    if (remove.length > 0) p.zrem(scheduleKey, ...remove);
    await p.exec();
  });
}

/** Due session ids (score ≤ nowMs), lowest first, at most `limit`; and whether the marker exists. */
export async function dueSessions(nowMs: number, limit: number): Promise<{ ids: string[]; built: boolean }> {
  return withRedis(async (r) => {
    const p = r.pipeline();
    p.exists(markerKey);
    p.zrange(scheduleKey, '-inf', nowMs, { byScore: true, offset: 0, count: limit });
    const [exists, ids] = (await p.exec()) as [number, string[]];
    return { ids: ids.map(String), built: exists === 1 };
  });
}

/** The lowest score in the schedule (the next charge due anywhere), or null when empty. */
export async function nextDueMs(): Promise<number | null> {
  return withRedis(async (r) => {
    const first = (await r.zrange(scheduleKey, 0, 0, { withScores: true })) as Array<string | number>;
    return first.length >= 2 ? Number(first[1]) : null;
  });
}

export async function scheduleSize(): Promise<number> {
  return withRedis((r) => r.zcard(scheduleKey));
}

/** Rebuilds the schedule from PostgreSQL's active sessions, then sets the marker. */
export async function rebuildSchedule(periodMs: number): Promise<number> {
  const active = await listActiveSessions(periodMs);
  await addToSchedule(active.map((s) => ({ id: s.id, scoreMs: s.nextChargeMs })));
  await withRedis((r) => r.set(markerKey, String(Date.now())));
  return active.length;
}

/** Makes sure the schedule reflects PostgreSQL: rebuilds it when the marker is missing. */
export async function ensureSchedule(periodMs: number): Promise<{ rebuilt: boolean; count: number }> {
  const exists = await withRedis((r) => r.exists(markerKey));
  if (exists === 1) return { rebuilt: false, count: 0 };
  return { rebuilt: true, count: await rebuildSchedule(periodMs) };
}

/**
 * Adds every active session that is missing from the schedule (a start whose Redis write failed),
 * leaving existing scores alone. The tick runs it once per invocation (once a minute).
 * It first compares counts: when the schedule holds at least as many members as there are active
 * sessions, nothing is missing unless a stale member (a session ended without its ZREM) makes up
 * for a missing one — and a stale member leaves at its next due time (the pass finds it ended),
 * so the next reconcile sees the gap. Reading and re-adding 100,000 sessions every minute had
 * stalled the tick for up to a second (docs/BENCHMARKS.md).
 */
export async function reconcileSchedule(periodMs: number): Promise<number> {
  const [activeCount, scheduled] = await Promise.all([countActiveSessions(), scheduleSize()]);
  if (scheduled >= activeCount) return 0;
  const active = await listActiveSessions(periodMs);
  if (active.length === 0) return 0;
  return withRedis(async (r) => {
    const p = r.pipeline();
    queueZadd(p, active.map((s) => ({ id: s.id, scoreMs: s.nextChargeMs })), true);
    const added = (await p.exec()) as number[];
    return added.reduce((a, b) => a + Number(b), 0);
  });
}
