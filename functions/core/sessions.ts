// Session use cases: start, stop, status, expire, and what follows every settle (re-score or
// remove in the schedule, push to the user's devices). The money moves in store.ts; what
// happens here after the commit is a fast path that the tick, the timer and reads repair.
import { armTimer, disarmTimer } from '../adapters/scheduler';
import type { ServerMessage, StatusResponse, SessionResponse } from '../wire';
import { endsAtMs, nextChargeAtMs } from './billing';
import { AppError } from './errors';
import type { Logger } from './log';
import { serverTime, toWireSession, toWireUser } from './present';
import { pushToUsers, type PushStats } from './push';
import { addToSchedule, removeFromSchedule, updateSchedule } from './schedule';
import * as store from './store';

export interface Effects {
  readonly periodMs: number;
  readonly log: Logger;
}

function stateOf(r: store.SettleResult): { startMs: number; creditsConsumed: number; balance: number } {
  return { startMs: r.session.startMs, creditsConsumed: r.session.creditsConsumed, balance: r.user.credits };
}

/** The message a settle result produces for the user's devices. */
export function messageFor(r: store.SettleResult, periodMs: number): ServerMessage {
  const session = toWireSession(r.session, r.user.credits, periodMs);
  const user = toWireUser(r.user);
  if (r.ended && r.session.endReason !== null) {
    return { type: 'session.ended', session, user, reason: r.session.endReason, serverTime: serverTime(r.nowMs), periodMs };
  }
  return { type: 'session.update', session, user, serverTime: serverTime(r.nowMs), periodMs };
}

/**
 * After settles commit: ended sessions leave the schedule and their users hear `session.ended`;
 * charged ones are re-scored and their users hear `session.update`. Failures are logged, never
 * thrown: the money is already right, and the next tick or read repairs Redis.
 */
export async function publishSettlements(results: readonly store.SettleResult[], fx: Effects): Promise<PushStats> {
  const [, stats] = await Promise.all([rescheduleSettlements(results, fx), pushSettlements(results, fx)]);
  return stats;
}

/**
 * The schedule half of publishSettlements: re-score the still-active, remove the ended. Never
 * throws. Sessions settled with nothing to pay are re-scored too: another writer charged them
 * first (a read, a stop racing the tick) and their score in the schedule may be the old one.
 * `gone`: ids the settle found no longer active (ended by another writer), removed in the same call.
 */
export async function rescheduleSettlements(results: readonly store.SettleResult[], fx: Effects, gone: readonly string[] = []): Promise<void> {
  const rescore = results.filter((r) => !r.ended).map((r) => ({ id: r.session.id, scoreMs: nextChargeAtMs(stateOf(r), fx.periodMs) }));
  const remove = [...results.filter((r) => r.ended).map((r) => r.session.id), ...gone];
  await updateSchedule(rescore, remove).catch((err: unknown) => fx.log.warn('schedule update failed', { err }));
}

/** The push half of publishSettlements: tell each changed session's user. Never throws. */
export async function pushSettlements(results: readonly store.SettleResult[], fx: Effects): Promise<PushStats> {
  const changed = results.filter((r) => r.paid > 0 || r.ended);
  if (changed.length === 0) return { sent: 0, gone: 0, failed: 0 };
  return pushToUsers(changed.map((r) => ({ userId: r.user.id, message: () => messageFor(r, fx.periodMs) })));
}

async function armSafely(sessionId: string, atMs: number, fx: Effects): Promise<void> {
  try {
    await armTimer(sessionId, atMs);
  } catch (err) {
    // The tick still ends the session on time; the audit reports one that is overdue.
    fx.log.warn('timer arm failed', { sessionId, err });
  }
}

export async function startSession(userId: string, fx: Effects): Promise<SessionResponse> {
  const started = await store.startSession(userId, fx.periodMs);
  if (started.settledBefore.length > 0) await publishSettlements(started.settledBefore, fx);
  const state = { startMs: started.session.startMs, creditsConsumed: started.session.creditsConsumed, balance: started.user.credits };
  const session = toWireSession(started.session, started.user.credits, fx.periodMs);
  const user = toWireUser(started.user);
  await Promise.all([
    addToSchedule([{ id: started.session.id, scoreMs: nextChargeAtMs(state, fx.periodMs) }]).catch((err: unknown) =>
      fx.log.warn('schedule add failed', { err }),
    ),
    armSafely(started.session.id, endsAtMs(state, fx.periodMs), fx),
    pushToUsers([{ userId, message: { type: 'session.update', session, user, serverTime: serverTime(started.nowMs), periodMs: fx.periodMs } }]),
  ]);
  return { session, user };
}

export async function stopSession(userId: string, fx: Effects): Promise<SessionResponse> {
  const outcome = await store.stopSession(userId, fx.periodMs);
  if ('exhausted' in outcome) {
    await publishSettlements(outcome.exhausted, fx);
    throw new AppError('no_active_session', 'There is no active session to stop: it had already run out of credits.');
  }
  await Promise.all([
    publishSettlements([outcome], fx),
    disarmTimer(outcome.session.id).catch((err: unknown) => fx.log.warn('timer disarm failed', { err })),
  ]);
  return { session: toWireSession(outcome.session, outcome.user.credits, fx.periodMs), user: toWireUser(outcome.user) };
}

/** The account as of now: settles the active session first when a boundary is due. */
export async function currentStatus(account: store.Account, fx: Effects, isAdmin = false): Promise<StatusResponse> {
  let { user, session, nowMs } = account;
  if (session !== null && store.isSettleDue(session, nowMs, fx.periodMs)) {
    // Not behind a writer that holds the session (the tick charging it now): left out, the
    // session is read again below as it stands, and that writer pushes its result.
    const results = await store.settleSessions([session.id], fx.periodMs, { skipLocked: true });
    await publishSettlements(results, fx);
    const r = results[0];
    if (r !== undefined) {
      ({ user, session, nowMs } = r);
    } else {
      const fresh = await store.readAccount(user.id, '');
      if (fresh !== null) ({ user, session, nowMs } = fresh);
    }
  }
  return {
    session: session === null ? null : toWireSession(session, user.credits, fx.periodMs),
    user: toWireUser(user, isAdmin),
    serverTime: serverTime(nowMs),
    periodMs: fx.periodMs,
  };
}

/** The expire handler's work: settle; if still active (the balance grew), re-arm the timer. */
export async function expireSession(sessionId: string, fx: Effects): Promise<'ended' | 'rearmed' | 'inactive'> {
  const results = await store.settleSessions([sessionId], fx.periodMs);
  const r = results[0];
  if (r === undefined) {
    await removeFromSchedule([sessionId]).catch(() => undefined);
    return 'inactive';
  }
  await publishSettlements(results, fx);
  if (r.ended) return 'ended';
  await armSafely(sessionId, endsAtMs(stateOf(r), fx.periodMs), fx);
  return 'rearmed';
}
