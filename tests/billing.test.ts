// The billing rule as pure functions, checked by properties over random start times, periods,
// balances and settle times (late, repeated, out of order).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { creditsConsumedAt, creditsToCharge, endsAtMs, nextChargeAtMs, settle, type SessionState } from '../functions/core/billing';

const startArb = fc.integer({ min: 0, max: 4_000_000_000_000 });
const periodArb = fc.integer({ min: 1, max: 600_000 });
const balanceArb = fc.integer({ min: 1, max: 5_000 });

/** Settles at each time in order (times before the previous one are clamped, as a late writer would see). */
function settleAt(start: SessionState, times: readonly number[], periodMs: number): { state: SessionState; exhaustedAtMs: number | null; paid: number } {
  let state = start;
  let paid = 0;
  for (const t of times) {
    const r = settle(state, t, periodMs);
    paid += r.paid;
    state = { ...state, creditsConsumed: r.creditsConsumed, balance: r.balance };
    if (r.exhaustedAtMs !== null) return { state, exhaustedAtMs: r.exhaustedAtMs, paid };
  }
  return { state, exhaustedAtMs: null, paid };
}

describe('billing rule', () => {
  it('charges 1 credit up front at t0', () => {
    const r = settle({ startMs: 1000, creditsConsumed: 0, balance: 5 }, 1000, 6000);
    expect(r.paid).toBe(1);
    expect(r.lastPaidBoundaryMs).toBe(1000);
  });

  it('charges a boundary exactly when it comes, not a millisecond before', () => {
    const s = { startMs: 0, creditsConsumed: 1, balance: 5 };
    expect(settle(s, 5999, 6000).paid).toBe(0);
    expect(settle(s, 6000, 6000).paid).toBe(1);
  });

  it('consumes min(B, 1 + floor((end − t0)/P)) for any end', () => {
    fc.assert(
      fc.property(startArb, periodArb, balanceArb, fc.integer({ min: 0, max: 10_000_000 }), (t0, p, b, elapsed) => {
        const end = t0 + elapsed;
        const r = settle({ startMs: t0, creditsConsumed: 0, balance: b }, end, p);
        expect(r.creditsConsumed).toBe(Math.min(b, 1 + Math.floor(elapsed / p)));
        expect(r.creditsConsumed).toBe(creditsConsumedAt(t0, b, end, p));
      }),
    );
  });

  it('ends the session at exactly t0 + B·P when B credits run out', () => {
    fc.assert(
      fc.property(startArb, periodArb, balanceArb, fc.integer({ min: 0, max: 1_000_000 }), (t0, p, b, extra) => {
        const r = settle({ startMs: t0, creditsConsumed: 0, balance: b }, t0 + b * p + extra, p);
        expect(r.creditsConsumed).toBe(b);
        expect(r.balance).toBe(0);
        expect(r.exhaustedAtMs).toBe(t0 + b * p);
      }),
    );
  });

  it('does not end the session a millisecond before t0 + B·P', () => {
    fc.assert(
      fc.property(startArb, periodArb, balanceArb, (t0, p, b) => {
        const r = settle({ startMs: t0, creditsConsumed: 0, balance: b }, t0 + b * p - 1, p);
        expect(r.exhaustedAtMs).toBeNull();
        expect(r.balance).toBe(0);
      }),
    );
  });

  it('charges the same whether it settles once at the end or at any set of times before it', () => {
    fc.assert(
      fc.property(
        startArb,
        periodArb,
        balanceArb,
        fc.integer({ min: 0, max: 5_000_000 }),
        fc.array(fc.integer({ min: 0, max: 5_000_000 }), { maxLength: 30 }),
        (t0, p, b, elapsedEnd, offsets) => {
          const end = t0 + elapsedEnd;
          // Intermediate times in any order, repeated; a writer never settles past now, so clamp to end.
          const times = [...offsets.map((o) => t0 + Math.min(o, elapsedEnd)), end];
          const many = settleAt({ startMs: t0, creditsConsumed: 0, balance: b }, times, p);
          const once = settleAt({ startMs: t0, creditsConsumed: 0, balance: b }, [end], p);
          expect(many.paid).toBe(once.paid);
          expect(many.state).toEqual(once.state);
          expect(many.exhaustedAtMs).toBe(once.exhaustedAtMs);
        },
      ),
    );
  });

  it('charges nothing when settled twice at the same time', () => {
    fc.assert(
      fc.property(startArb, periodArb, balanceArb, fc.integer({ min: 0, max: 5_000_000 }), (t0, p, b, elapsed) => {
        const first = settle({ startMs: t0, creditsConsumed: 0, balance: b }, t0 + elapsed, p);
        const second = settle({ startMs: t0, creditsConsumed: first.creditsConsumed, balance: first.balance }, t0 + elapsed, p);
        expect(second.paid).toBe(0);
      }),
    );
  });

  it('never takes the balance below zero', () => {
    fc.assert(
      fc.property(startArb, periodArb, fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 50_000_000 }), (t0, p, b, consumed, elapsed) => {
        const r = settle({ startMs: t0, creditsConsumed: consumed, balance: b }, t0 + elapsed, p);
        expect(r.balance).toBeGreaterThanOrEqual(0);
        expect(r.paid).toBeLessThanOrEqual(b);
        expect(creditsToCharge(t0, consumed, b, t0 + elapsed, p)).toBe(r.paid);
      }),
    );
  });

  it('keeps endsAt fixed while the session runs, and nextChargeAt one period ahead of the last paid boundary', () => {
    fc.assert(
      fc.property(startArb, periodArb, balanceArb, fc.integer({ min: 0, max: 5_000_000 }), (t0, p, b, elapsed) => {
        const s0 = { startMs: t0, creditsConsumed: 0, balance: b };
        const r = settle(s0, t0 + elapsed, p);
        const s1 = { startMs: t0, creditsConsumed: r.creditsConsumed, balance: r.balance };
        expect(endsAtMs(s1, p)).toBe(endsAtMs(s0, p));
        if (r.lastPaidBoundaryMs !== null) expect(nextChargeAtMs(s1, p)).toBe(r.lastPaidBoundaryMs + p);
      }),
    );
  });

  it('makes N credits buy exactly N·P of session time', () => {
    fc.assert(
      fc.property(startArb, periodArb, balanceArb, (t0, p, n) => {
        const r = settle({ startMs: t0, creditsConsumed: 0, balance: n }, t0 + 10 * n * p, p);
        expect((r.exhaustedAtMs ?? 0) - t0).toBe(n * p);
      }),
    );
  });
});
