// Row → wire conversions, in one place.
import type { WireSession, WireUser } from '../wire';
import { endsAtMs, nextChargeAtMs } from './billing';
import type { SessionRecord, UserRecord } from './store';

const iso = (msValue: number): string => new Date(msValue).toISOString();

export function toWireSession(s: SessionRecord, credits: number, periodMs: number): WireSession {
  const state = { startMs: s.startMs, creditsConsumed: s.creditsConsumed, balance: credits };
  return {
    id: s.id,
    startTime: iso(s.startMs),
    endTime: s.endMs === null ? null : iso(s.endMs),
    creditsConsumed: s.creditsConsumed,
    isActive: s.isActive,
    endReason: s.endReason,
    nextChargeAt: s.isActive ? iso(nextChargeAtMs(state, periodMs)) : null,
    endsAt: s.isActive ? iso(endsAtMs(state, periodMs)) : null,
  };
}

export function toWireUser(u: UserRecord, isAdmin = false): WireUser {
  return isAdmin ? { id: u.id, email: u.email, credits: u.credits, isAdmin: true } : { id: u.id, email: u.email, credits: u.credits };
}

export const serverTime = iso;
