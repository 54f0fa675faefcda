import type { WireSession } from './wire';

/** The production credit period (10 credits a minute); used until the server tells us otherwise. */
export const DEFAULT_PERIOD_MS = 6000;
/** Below this much paid time the dashboard warns that credits are running low. */
export const LOW_CREDIT_THRESHOLD_MS = 60_000;

/** The server clock minus the local clock, from a message stamped `serverTime` received at `receivedAtMs`. */
export function clockOffsetMs(serverTime: string, receivedAtMs: number): number | null {
  const serverMs = Date.parse(serverTime);
  return Number.isNaN(serverMs) ? null : serverMs - receivedAtMs;
}

/** `hh:mm:ss` for a non-negative duration, rounding down to the second. */
export function formatClock(durationMs: number): string {
  const totalS = Math.max(0, Math.floor(durationMs / 1000));
  const hours = Math.floor(totalS / 3600);
  const minutes = Math.floor((totalS % 3600) / 60);
  const seconds = totalS % 60;
  return [hours, minutes, seconds].map((part) => String(part).padStart(2, '0')).join(':');
}

/** A duration in words for people: `16 min 40 s`, `2 h 5 min`, `45 s`. */
export function formatDurationWords(durationMs: number): string {
  if (durationMs > 0 && durationMs < 10_000 && durationMs % 1000 !== 0) {
    return `${(durationMs / 1000).toFixed(1).replace(/\.0$/, '')} s`; // short test periods, e.g. 0.1 s
  }
  const totalS = Math.max(0, Math.round(durationMs / 1000));
  const hours = Math.floor(totalS / 3600);
  const minutes = Math.floor((totalS % 3600) / 60);
  const seconds = totalS % 60;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  if (minutes > 0) return seconds > 0 ? `${minutes} min ${seconds} s` : `${minutes} min`;
  return `${seconds} s`;
}

/** A duration spoken by screen readers, to the minute: `about 12 minutes`. */
export function describeMinutes(durationMs: number): string {
  const minutes = Math.floor(Math.max(0, durationMs) / 60_000);
  if (minutes === 0) return 'less than a minute';
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** Local wall-clock time of an ISO instant, e.g. `14:02:11`. */
export function formatTimeOfDay(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Local date and time of an ISO instant, e.g. `12 May, 14:02`. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/** How long a finished session ran. */
export function sessionDurationMs(session: WireSession): number {
  if (session.endTime === null) return 0;
  return Math.max(0, Date.parse(session.endTime) - Date.parse(session.startTime));
}

/**
 * The credit period, from an active session: `endsAt − nextChargeAt` is what the balance still
 * pays for, one period per credit. Null when it cannot be derived (no balance, or no session).
 */
export function derivePeriodMs(session: WireSession | null, credits: number): number | null {
  if (session === null || !session.isActive || credits <= 0) return null;
  if (session.endsAt === null || session.nextChargeAt === null) return null;
  const periodMs = Math.round((Date.parse(session.endsAt) - Date.parse(session.nextChargeAt)) / credits);
  return Number.isFinite(periodMs) && periodMs > 0 ? periodMs : null;
}
