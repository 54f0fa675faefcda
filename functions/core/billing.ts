// The billing rule of DESIGN.md, as pure functions of integers (milliseconds and credits).
// No clock, no I/O: `nowMs` is always an argument. The SQL settle in store.ts computes the same
// arithmetic set-based; tests check the two agree.
import assert from 'node:assert';

export interface SessionState {
  readonly startMs: number;
  readonly creditsConsumed: number;
  readonly balance: number;
}

export interface Settlement {
  /** Credits charged by this settle. */
  readonly paid: number;
  /** Balance after the settle. */
  readonly balance: number;
  readonly creditsConsumed: number;
  /** Set when the balance ran out at a boundary: the session ends exactly there. */
  readonly exhaustedAtMs: number | null;
  /** The boundary the last credit paid (the ledger row's timestamp), when paid > 0. */
  readonly lastPaidBoundaryMs: number | null;
}

function assertState(s: SessionState, periodMs: number): void {
  assert(Number.isSafeInteger(s.startMs));
  assert(Number.isSafeInteger(s.creditsConsumed));
  assert(s.creditsConsumed >= 0);
  assert(Number.isSafeInteger(s.balance));
  assert(s.balance >= 0);
  assert(Number.isSafeInteger(periodMs));
  assert(periodMs > 0);
}

/** Boundaries due by `nowMs` (the one at t0 included) that are not yet paid. */
export function creditsDue(startMs: number, consumed: number, nowMs: number, periodMs: number): number {
  assert(Number.isSafeInteger(nowMs));
  if (nowMs < startMs) return 0;
  return Math.max(0, 1 + Math.floor((nowMs - startMs) / periodMs) - consumed);
}

export function creditsToCharge(startMs: number, consumed: number, balance: number, nowMs: number, periodMs: number): number {
  assert(balance >= 0);
  return Math.min(creditsDue(startMs, consumed, nowMs, periodMs), balance);
}

/** "Charge what is due by now, capped by the balance": the one rule every writer applies. */
export function settle(s: SessionState, nowMs: number, periodMs: number): Settlement {
  assertState(s, periodMs);
  const due = creditsDue(s.startMs, s.creditsConsumed, nowMs, periodMs);
  const paid = Math.min(due, s.balance);
  const creditsConsumed = s.creditsConsumed + paid;
  const balance = s.balance - paid;
  assert(balance >= 0);
  return {
    paid,
    balance,
    creditsConsumed,
    exhaustedAtMs: paid < due ? s.startMs + creditsConsumed * periodMs : null,
    lastPaidBoundaryMs: paid > 0 ? s.startMs + (creditsConsumed - 1) * periodMs : null,
  };
}

/** Credits a session holding `balance` at start consumes if it ends at `endMs`. */
export function creditsConsumedAt(startMs: number, balance: number, endMs: number, periodMs: number): number {
  assert(endMs >= startMs);
  return Math.min(balance, 1 + Math.floor((endMs - startMs) / periodMs));
}

/** When the credits run out if nothing changes: the end of the last period the balance pays. */
export function endsAtMs(s: SessionState, periodMs: number): number {
  assertState(s, periodMs);
  return s.startMs + (s.creditsConsumed + s.balance) * periodMs;
}

/** The next unpaid boundary (equal to endsAt when the balance is 0). */
export function nextChargeAtMs(s: SessionState, periodMs: number): number {
  assertState(s, periodMs);
  return s.startMs + s.creditsConsumed * periodMs;
}

/** Milliseconds of session time the balance buys: N credits buy exactly N·P. */
export function timeBoughtMs(credits: number, periodMs: number): number {
  assert(credits >= 0);
  return credits * periodMs;
}
