'use client';

import { useCallback, useSyncExternalStore } from 'react';
import type { WireSession } from '@/lib/wire';

export interface Countdown {
  /** Time since the session started, on the server's clock (whole seconds while active). */
  elapsedMs: number;
  /** Paid time left until `endsAt`, or null when no session is running. */
  timeLeftMs: number | null;
}

/**
 * The session clock, derived from `startTime`, `endsAt` and the server clock offset
 * (serverNow = Date.now() + offsetMs) — never from counting messages. Re-renders once per
 * elapsed second, on the second's boundary, while a session is active.
 */
export function useCountdown(session: WireSession | null, offsetMs: number): Countdown {
  const active = session?.isActive === true;
  const startMs = session ? Date.parse(session.startTime) : 0;

  const getSnapshot = useCallback((): number => {
    if (!active) return 0;
    return Math.max(0, Math.floor((Date.now() + offsetMs - startMs) / 1000));
  }, [active, offsetMs, startMs]);

  const subscribe = useCallback(
    (onChange: () => void) => {
      if (!active) return () => {};
      let timer: ReturnType<typeof setTimeout> | undefined;
      const schedule = () => {
        const intoSecondMs = (((Date.now() + offsetMs - startMs) % 1000) + 1000) % 1000;
        timer = setTimeout(() => {
          onChange();
          schedule();
        }, 1000 - intoSecondMs + 4);
      };
      schedule();
      return () => clearTimeout(timer);
    },
    [active, offsetMs, startMs],
  );

  const elapsedS = useSyncExternalStore(subscribe, getSnapshot, () => 0);

  if (session === null) return { elapsedMs: 0, timeLeftMs: null };
  if (!active) {
    const endMs = session.endTime === null ? startMs : Date.parse(session.endTime);
    return { elapsedMs: Math.max(0, endMs - startMs), timeLeftMs: null };
  }
  const elapsedMs = elapsedS * 1000;
  const endsAtMs = session.endsAt === null ? null : Date.parse(session.endsAt);
  const timeLeftMs = endsAtMs === null ? null : Math.max(0, endsAtMs - (startMs + elapsedMs));
  return { elapsedMs, timeLeftMs };
}
