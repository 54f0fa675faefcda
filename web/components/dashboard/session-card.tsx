import Link from 'next/link';
import type { ActionError, PendingAction } from '@/hooks/use-live-session';
import { describeMinutes, formatClock, formatDurationWords, formatTimeOfDay } from '@/lib/clock';
import type { WireSession } from '@/lib/wire';
import { Button } from '../button';
import { Notice } from '../notice';

export interface SessionCardProps {
  session: WireSession | null;
  elapsedMs: number;
  timeLeftMs: number | null;
  credits: number;
  periodMs: number;
  pending: PendingAction;
  actionError: ActionError | null;
  actionInfo: string | null;
  onStart(): void;
  onStop(): void;
  className?: string;
}

function StatusPill({ running }: { running: boolean }) {
  return running ? (
    <span className="inline-flex items-center gap-1.5 rounded-full bg-emerald-50 px-2.5 py-1 text-xs font-semibold text-emerald-800 ring-1 ring-emerald-200 ring-inset">
      <span className="size-1.5 animate-pulse rounded-full bg-emerald-600" aria-hidden="true" />
      Running
    </span>
  ) : (
    <span className="inline-flex items-center gap-1.5 rounded-full bg-slate-100 px-2.5 py-1 text-xs font-semibold text-slate-700 ring-1 ring-slate-200 ring-inset">
      <span className="size-1.5 rounded-full bg-slate-500" aria-hidden="true" />
      Not running
    </span>
  );
}

function ClockArt() {
  return (
    <svg viewBox="0 0 120 120" className="size-24 sm:size-28" aria-hidden="true" focusable="false">
      <circle cx="60" cy="64" r="46" className="fill-indigo-50" />
      <circle cx="60" cy="64" r="36" fill="white" className="stroke-indigo-200" strokeWidth="3" />
      <path d="M60 64V44M60 64l13 9" className="stroke-indigo-600" strokeWidth="5" strokeLinecap="round" fill="none" />
      <circle cx="60" cy="64" r="4" className="fill-indigo-600" />
      <path d="M50 14h20M60 14v10" className="stroke-indigo-300" strokeWidth="5" strokeLinecap="round" />
      <path d="M94 30l6-6" className="stroke-indigo-300" strokeWidth="5" strokeLinecap="round" />
    </svg>
  );
}

/** The heart of the dashboard: the session clock with Start and Stop. */
export function SessionCard({
  session,
  elapsedMs,
  timeLeftMs,
  credits,
  periodMs,
  pending,
  actionError,
  actionInfo,
  onStart,
  onStop,
  className = '',
}: SessionCardProps) {
  const running = session?.isActive === true;
  const firstTime = session === null;
  const outOfCredits = !running && credits <= 0;
  const paidMs = running && timeLeftMs !== null ? elapsedMs + timeLeftMs : 0;
  const usedFraction = paidMs > 0 ? Math.min(1, elapsedMs / paidMs) : 0;
  const creditsPerMinute = Math.round(60_000 / periodMs);
  const periodWords = formatDurationWords(periodMs);
  const spoken = running
    ? `Session running: ${describeMinutes(elapsedMs)} elapsed${timeLeftMs !== null ? `, ${describeMinutes(timeLeftMs)} left` : ''}.`
    : 'No session running.';

  return (
    <section
      aria-labelledby="session-heading"
      data-testid="session-card"
      data-state={running ? 'running' : 'idle'}
      className={`relative flex min-w-0 flex-col overflow-hidden rounded-2xl border border-slate-200 bg-white p-5 shadow-sm sm:p-8 ${className}`}
    >
      <div className="flex items-center justify-between gap-3">
        <h2 id="session-heading" className="text-sm font-medium text-slate-600">
          Session
        </h2>
        <StatusPill running={running} />
      </div>

      <p className="sr-only" aria-live="polite" aria-atomic="true" data-testid="session-announcer">
        {spoken}
      </p>

      <div className="flex flex-1 flex-col justify-center py-6 sm:py-8">
        {firstTime && !outOfCredits ? (
          <div className="flex flex-col items-center text-center" data-testid="session-empty">
            <ClockArt />
            <p className="mt-4 text-xl font-semibold tracking-tight text-slate-900">Ready when you are</p>
            <p className="mt-2 max-w-sm text-sm leading-6 text-slate-600">
              Your {credits} credits buy {formatDurationWords(credits * periodMs)} of live time. You pay 1 credit up front,
              then 1 every {periodWords}, and you can stop at any moment.
            </p>
          </div>
        ) : (
          <div className="text-center">
            <p
              aria-hidden="true"
              data-testid="session-clock"
              className={`font-semibold tracking-tight tabular-nums text-[clamp(2.75rem,14vw,4.5rem)] leading-none sm:text-7xl wide:text-8xl ${running ? 'text-slate-900' : 'text-slate-500'}`}
            >
              {formatClock(running ? elapsedMs : 0)}
            </p>
            <p className="mt-3 text-sm text-slate-600">
              {running && session
                ? `Elapsed since ${formatTimeOfDay(session.startTime)}`
                : outOfCredits
                  ? 'You’re out of credits.'
                  : 'Start a session whenever you’re ready.'}
            </p>
            {running ? (
              <div className="mx-auto mt-6 max-w-md" aria-hidden="true">
                <div className="h-2 overflow-hidden rounded-full bg-slate-100">
                  <div className="h-full rounded-full bg-indigo-600 transition-[width] duration-700 ease-linear" style={{ width: `${(usedFraction * 100).toFixed(2)}%` }} />
                </div>
                <div className="mt-2 flex justify-between text-xs text-slate-600">
                  <span>Paid time used</span>
                  <span className="tabular-nums">{Math.round(usedFraction * 100)}%</span>
                </div>
              </div>
            ) : null}
          </div>
        )}
      </div>

      <div className="flex flex-col items-center gap-3">
        {running ? (
          <Button
            variant="danger"
            size="lg"
            className="w-full sm:w-auto sm:min-w-56"
            onClick={onStop}
            pending={pending === 'stop'}
            pendingLabel="Stopping…"
            data-testid="stop-session"
            aria-describedby={actionError?.action === 'stop' ? 'session-action-error' : undefined}
            icon={<span className="size-3 rounded-sm bg-current" aria-hidden="true" />}
          >
            Stop session
          </Button>
        ) : (
          <Button
            size="lg"
            className="w-full sm:w-auto sm:min-w-56"
            onClick={onStart}
            pending={pending === 'start'}
            pendingLabel="Starting…"
            unavailable={outOfCredits}
            data-testid="start-session"
            aria-describedby={outOfCredits ? 'session-no-credits' : actionError?.action === 'start' ? 'session-action-error' : undefined}
            icon={
              <svg viewBox="0 0 24 24" className="size-4" aria-hidden="true" focusable="false">
                <path d="M7 4.5v15l12-7.5z" fill="currentColor" />
              </svg>
            }
          >
            Start session
          </Button>
        )}
        {outOfCredits && !actionError ? (
          <p id="session-no-credits" className="text-center text-sm text-slate-600">
            You’ve used all your credits, so a new session can’t start.{' '}
            <Link href="/credits" className="font-semibold text-indigo-700 underline underline-offset-4 hover:text-indigo-900">
              Buy credits
            </Link>
          </p>
        ) : null}
        <p className="text-center text-xs text-slate-600">
          {creditsPerMinute} credits a minute · 1 credit every {periodWords}
        </p>
      </div>

      {actionError ? (
        <Notice tone="error" className="mt-4" id="session-action-error" testId="session-action-error">
          {actionError.message}
        </Notice>
      ) : null}
      {actionInfo ? (
        <Notice tone="info" className="mt-4" testId="session-action-info">
          {actionInfo}
        </Notice>
      ) : null}
    </section>
  );
}
