// Formatting for people: money, credit counts, dates. Pure functions, no React.
import type { CreditPack } from './wire';

/** `$25.00` from 2500 cents in `usd`. */
export function formatMoney(amountCents: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).format(amountCents / 100);
  } catch {
    return `${(amountCents / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

/** `1 credit`, `1,500 credits`. */
export function creditsWord(count: number): string {
  return `${formatCount(count)} ${Math.abs(count) === 1 ? 'credit' : 'credits'}`;
}

/** `1,500` in the reader's locale. */
export function formatCount(count: number): string {
  return new Intl.NumberFormat().format(count);
}

/** A signed change of balance, with a real minus sign: `+600`, `−1`. */
export function formatSignedCredits(change: number): string {
  if (change > 0) return `+${formatCount(change)}`;
  if (change < 0) return `−${formatCount(-change)}`;
  return '0';
}

/** The price of 100 credits in a pack, in cents (for comparing packs). */
export function centsPer100Credits(pack: CreditPack): number {
  return (pack.amountCents * 100) / pack.credits;
}

/** Local date and time to the second, e.g. `12 May, 14:02:11` (with the year when it isn't this year's). */
export function formatDateTimeSeconds(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  const thisYear = date.getFullYear() === new Date().getFullYear();
  return date.toLocaleString(undefined, {
    day: 'numeric',
    month: 'short',
    ...(thisYear ? {} : { year: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** A UTC day (`2025-05-12`) as a short label, e.g. `12 May`. */
export function formatUtcDay(day: string, withWeekday = false): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return date.toLocaleDateString(undefined, {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'short',
    ...(withWeekday ? { weekday: 'short' } : {}),
  });
}

/** Local date only, e.g. `12 May 2025`. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

/** Local time to the minute, e.g. `14:02`. */
export function formatMinute(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** A sentence-cased error message from the API, ending with a full stop. */
export function asSentence(message: string): string {
  const text = message.trim();
  if (text === '') return 'Something went wrong. Please try again.';
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}
