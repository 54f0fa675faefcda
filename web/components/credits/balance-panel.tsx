import Link from 'next/link';
import { formatClock, formatDurationWords, formatTimeOfDay } from '@/lib/clock';
import { formatCount } from '@/lib/format';
import type { WireSession } from '@/lib/wire';
import { WalletIcon } from '../dashboard/icons';

export interface BalancePanelProps {
  credits: number;
  periodMs: number;
  session: WireSession | null;
  timeLeftMs: number | null;
  className?: string;
}

/** The balance and what it buys (or, while a session runs, its time left), live. */
export function BalancePanel({ credits, periodMs, session, timeLeftMs, className = '' }: BalancePanelProps) {
  const running = session?.isActive === true;
  return (
    <section
      aria-labelledby="balance-heading"
      data-testid="balance-panel"
      className={`flex min-w-0 flex-col rounded-2xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6 ${className}`}
    >
      <div className="flex min-h-7 items-center justify-between gap-3">
        <h2 id="balance-heading" className="text-sm font-medium text-slate-600">
          Your balance
        </h2>
        <WalletIcon />
      </div>
      <div className="mt-3 grid gap-5 sm:grid-cols-2 wide:grid-cols-1">
        <div>
          <p className="flex items-baseline gap-2" aria-live="polite" aria-atomic="true">
            <span data-testid="balance" className="text-4xl font-semibold tracking-tight text-slate-900 tabular-nums">
              {credits}
            </span>
            <span className="text-base font-medium text-slate-600">{credits === 1 ? 'credit' : 'credits'}</span>
          </p>
          <p className="mt-2 text-sm leading-6 text-slate-600">
            Buys {formatDurationWords(credits * periodMs)} of session time at {formatCount(Math.round(60_000 / periodMs))} credits a minute.
          </p>
        </div>
        <div className={`rounded-xl px-4 py-3 ${running ? 'bg-emerald-50 ring-1 ring-emerald-200 ring-inset' : 'bg-slate-50 ring-1 ring-slate-200 ring-inset'}`}>
          {running && session ? (
            <>
              <p className="flex items-center gap-2 text-sm font-semibold text-emerald-900">
                <span className="size-2 animate-pulse rounded-full bg-emerald-600" aria-hidden="true" />
                Session running
              </p>
              <p className="mt-1 text-sm text-emerald-950">
                Time left{' '}
                <span data-testid="time-left" className="font-semibold tabular-nums">
                  {formatClock(timeLeftMs ?? 0)}
                </span>
                {session.endsAt ? <>, until {formatTimeOfDay(session.endsAt)}</> : null}. A purchase adds to it at once.
              </p>
            </>
          ) : (
            <>
              <p className="text-sm font-semibold text-slate-900">No session running</p>
              <p className="mt-1 text-sm text-slate-600">
                <Link href="/dashboard" className="font-semibold text-indigo-700 underline-offset-4 hover:underline">
                  Start one on your dashboard
                </Link>{' '}
                whenever you’re ready.
              </p>
            </>
          )}
        </div>
      </div>
    </section>
  );
}
