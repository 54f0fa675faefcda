import { formatClock, formatDateTime, sessionDurationMs } from '@/lib/clock';
import type { WireSession } from '@/lib/wire';
import { Card } from './card';
import { HistoryIcon } from './icons';

function describeEnd(session: WireSession): string {
  if (session.endReason === 'exhausted') return 'Credits ran out';
  if (session.endReason === 'stopped') return 'Stopped by you';
  return 'Ended';
}

/** The latest finished session, or a friendly empty state. */
export function LastSessionCard({ session, running }: { session: WireSession | null; running: boolean }) {
  return (
    <Card title="Last session" action={<HistoryIcon />} testId="last-session">
      {session === null ? (
        <div className="mt-3 flex flex-1 flex-col justify-center">
          <p className="text-base font-semibold text-slate-900">{running ? 'Your first session is running' : 'No sessions yet'}</p>
          <p className="mt-1 text-sm leading-6 text-slate-600">
            {running
              ? 'When it ends, you’ll see here how long it ran and what it cost.'
              : 'Your finished sessions are summed up here: how long they ran and what they cost.'}
          </p>
        </div>
      ) : (
        <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-3 text-sm">
          <div className="col-span-2">
            <dt className="sr-only">Outcome</dt>
            <dd>
              <span
                className={`inline-flex items-center rounded-full px-2.5 py-1 text-xs font-semibold ring-1 ring-inset ${session.endReason === 'exhausted' ? 'bg-amber-50 text-amber-900 ring-amber-200' : 'bg-slate-100 text-slate-700 ring-slate-200'}`}
              >
                {describeEnd(session)}
              </span>
            </dd>
          </div>
          <div>
            <dt className="text-slate-600">Duration</dt>
            <dd className="mt-0.5 font-semibold text-slate-900 tabular-nums">{formatClock(sessionDurationMs(session))}</dd>
          </div>
          <div>
            <dt className="text-slate-600">Credits used</dt>
            <dd className="mt-0.5 font-semibold text-slate-900 tabular-nums">{session.creditsConsumed}</dd>
          </div>
          <div className="col-span-2">
            <dt className="text-slate-600">Ended</dt>
            <dd className="mt-0.5 font-medium text-slate-900">{session.endTime ? formatDateTime(session.endTime) : '—'}</dd>
          </div>
        </dl>
      )}
    </Card>
  );
}
