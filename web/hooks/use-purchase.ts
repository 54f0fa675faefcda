'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '@/lib/api';
import { fetchPacks, purchaseCredits } from '@/lib/api-credits';
import { readToken } from '@/lib/auth-store';
import { describeRequestError } from '@/lib/errors';
import type { CreditPack, PurchaseResponse, WirePurchase } from '@/lib/wire';

/** One purchase the user means to make: a pack and the idempotency key of every try of it. */
export interface PurchaseAttempt {
  packId: string;
  key: string;
}

export type PurchaseOutcome =
  | { kind: 'approved'; packId: string; purchase: WirePurchase }
  | { kind: 'declined'; packId: string; message: string }
  /** `retryable`: the outcome is unknown (no answer, a 5xx); a retry reuses the same key. */
  | { kind: 'error'; packId: string; message: string; retryable: boolean };

export interface Purchase {
  packs: CreditPack[] | null;
  packsError: string | null;
  reloadPacks(): void;
  /** The pack being bought, while its request runs. */
  pendingPack: string | null;
  outcome: PurchaseOutcome | null;
  buy(packId: string): void;
  dismiss(): void;
}

// An attempt whose outcome is unknown survives a reload of the tab, so the retry reuses its key.
const ATTEMPT_KEY = 'minute-credits.purchase-attempt';
// Tries per press when no answer comes (the same key each time), and the pause before each retry.
const RETRY_DELAYS_MS = [800, 2000];
// A second press on the same pack this soon after it was bought is a double click, not a purchase.
const DOUBLE_PRESS_MS = 2000;

/** A new idempotency key: a random UUID (8–128 of [A-Za-z0-9_-], as the API asks). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function loadAttempt(): PurchaseAttempt | null {
  try {
    const raw = window.sessionStorage.getItem(ATTEMPT_KEY);
    if (raw === null) return null;
    const value = JSON.parse(raw) as Partial<PurchaseAttempt>;
    return typeof value.packId === 'string' && typeof value.key === 'string' ? { packId: value.packId, key: value.key } : null;
  } catch {
    return null;
  }
}

function saveAttempt(attempt: PurchaseAttempt | null): void {
  try {
    if (attempt === null) window.sessionStorage.removeItem(ATTEMPT_KEY);
    else window.sessionStorage.setItem(ATTEMPT_KEY, JSON.stringify(attempt));
  } catch {
    // storage unavailable: the attempt lives as long as the page
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function declineMessage(): string {
  return 'Your payment was declined, so no credits were added and you weren’t charged. Check your payment details and try again.';
}

/**
 * The credit packs and buying one. Each purchase attempt has one idempotency key, made when the
 * user first presses Buy and reused for every retry of that attempt (automatic retries when no
 * answer came, the user's "Try again", a double click, a reload while the outcome is unknown),
 * so one attempt never buys twice. A definite answer (approved, declined, invalid) ends the
 * attempt; the next press is a new purchase with a new key.
 */
export function usePurchase(handlers: { onApproved(result: PurchaseResponse): void; onUnauthorized(): void }): Purchase {
  const [packs, setPacks] = useState<CreditPack[] | null>(null);
  const [packsError, setPacksError] = useState<string | null>(null);
  const [packsVersion, setPacksVersion] = useState(0);
  const [pendingPack, setPendingPack] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<PurchaseOutcome | null>(null);
  const attemptRef = useRef<PurchaseAttempt | null>(null);
  const pendingRef = useRef(false);
  const lastApprovedRef = useRef<{ packId: string; atMs: number } | null>(null);
  const handlersRef = useRef(handlers);
  const mountedRef = useRef(true);

  useEffect(() => {
    handlersRef.current = handlers;
  });

  useEffect(() => {
    mountedRef.current = true;
    attemptRef.current = loadAttempt();
    return () => {
      mountedRef.current = false;
    };
  }, []);

  useEffect(() => {
    let cancelled = false;
    fetchPacks().then(
      (body) => {
        if (cancelled) return;
        setPacks(body.packs);
        setPacksError(null);
      },
      (error: unknown) => {
        if (!cancelled) setPacksError(describeRequestError(error, 'the credit packs didn’t load'));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [packsVersion]);

  const reloadPacks = useCallback(() => {
    setPacksError(null);
    setPacksVersion((v) => v + 1);
  }, []);

  const finishAttempt = useCallback(() => {
    attemptRef.current = null;
    saveAttempt(null);
  }, []);

  const buy = useCallback(
    async (packId: string) => {
      if (pendingRef.current) return; // one purchase at a time; a double click lands here
      const last = lastApprovedRef.current;
      if (last !== null && last.packId === packId && Date.now() - last.atMs < DOUBLE_PRESS_MS) return;
      const token = readToken();
      if (token === null) {
        handlersRef.current.onUnauthorized();
        return;
      }
      // The same pack as an unfinished attempt is a retry of it: same key. Another pack is a new attempt.
      let attempt = attemptRef.current;
      if (attempt === null || attempt.packId !== packId) {
        attempt = { packId, key: newIdempotencyKey() };
        attemptRef.current = attempt;
        saveAttempt(attempt);
      }
      pendingRef.current = true;
      setPendingPack(packId);
      setOutcome(null);
      try {
        for (let tryIndex = 0; ; tryIndex += 1) {
          try {
            const result = await purchaseCredits(token, attempt.packId, attempt.key);
            finishAttempt();
            lastApprovedRef.current = { packId, atMs: Date.now() };
            handlersRef.current.onApproved(result);
            if (mountedRef.current) setOutcome({ kind: 'approved', packId, purchase: result.purchase });
            return;
          } catch (error) {
            const noAnswer = error instanceof ApiError && error.code === 'network';
            const delayMs = RETRY_DELAYS_MS[tryIndex];
            if (noAnswer && delayMs !== undefined && mountedRef.current) {
              await sleep(delayMs);
              continue;
            }
            throw error;
          }
        }
      } catch (error) {
        if (error instanceof ApiError && error.code === 'unauthorized') {
          handlersRef.current.onUnauthorized();
          return;
        }
        if (error instanceof ApiError && error.code === 'payment_declined') {
          finishAttempt(); // a declined key replays its decline: trying again needs a new key
          if (mountedRef.current) setOutcome({ kind: 'declined', packId, message: declineMessage() });
          return;
        }
        // No answer, or the server failed: the payment may have gone through. Keep the key, so
        // "Try again" either finishes this purchase or replays its answer — never a second one.
        const unknown = !(error instanceof ApiError) || error.code === 'network' || error.status >= 500 || error.code === 'rate_limited';
        if (!unknown) finishAttempt();
        const message = unknown
          ? `${describeRequestError(error, 'we couldn’t confirm your purchase')} Trying again is safe: you won’t be charged twice.`
          : describeRequestError(error, 'the purchase didn’t go through');
        if (mountedRef.current) setOutcome({ kind: 'error', packId, message, retryable: unknown });
      } finally {
        pendingRef.current = false;
        if (mountedRef.current) setPendingPack(null);
      }
    },
    [finishAttempt],
  );

  const dismiss = useCallback(() => setOutcome(null), []);

  return { packs, packsError, reloadPacks, pendingPack, outcome, buy: (packId) => void buy(packId), dismiss };
}
