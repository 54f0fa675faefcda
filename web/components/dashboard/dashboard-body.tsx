'use client';

import Link from 'next/link';
import { useCountdown } from '@/hooks/use-countdown';
import type { LiveSession } from '@/hooks/use-live-session';
import { formatClock, formatDurationWords, formatTimeOfDay } from '@/lib/clock';
import type { WireUser } from '@/lib/wire';
import { EndedBanner } from './ended-banner';
import { CoinsIcon, HourglassIcon, WalletIcon } from './icons';
import { LastSessionCard } from './last-session-card';
import { LowCreditNotice } from './low-credit-notice';
import { SessionCard } from './session-card';
import { StatCard } from './stat-card';

function describeNextCharge(nextChargeAt: string, startTime: string, elapsedMs: number): string {
  const inMs = Date.parse(nextChargeAt) - (Date.parse(startTime) + elapsedMs);
  return inMs <= 0 ? 'now' : `in ${formatDurationWords(Math.ceil(inMs / 1000) * 1000)}`;
}

/**
 * The dashboard once the account is known: banners, the session card and the stat cards.
 * The page loads it with `React.lazy` (its chunk is fetched while the first status request is
 * in flight), so none of it is in the dashboard's first-load JavaScript.
 */
export function DashboardBody({ live, user }: { live: LiveSession; user: WireUser }) {
  const { elapsedMs, timeLeftMs } = useCountdown(live.session, live.offsetMs);
  const session = live.session;
  const running = session?.isActive === true;

  return (
    <>
      <div className="mt-6 space-y-3 empty:hidden">
        {live.endedNotice ? <EndedBanner notice={live.endedNotice} onDismiss={live.dismissEndedNotice} /> : null}
        <LowCreditNotice running={running} credits={user.credits} periodMs={live.periodMs} timeLeftMs={timeLeftMs} />
      </div>
      <div data-testid="dashboard-grid" className="mt-6 grid grid-cols-1 gap-4 md:grid-cols-2 lg:grid-cols-3 lg:gap-6 wide:grid-cols-4">
        <SessionCard
          className="md:col-span-2 wide:row-span-2"
          session={session}
          elapsedMs={elapsedMs}
          timeLeftMs={timeLeftMs}
          credits={user.credits}
          periodMs={live.periodMs}
          pending={live.pending}
          actionError={live.actionError}
          actionInfo={live.actionInfo}
          onStart={live.start}
          onStop={live.stop}
        />
        <StatCard
          title="Balance"
          icon={<WalletIcon />}
          value={user.credits}
          unit={user.credits === 1 ? 'credit' : 'credits'}
          live
          testId="balance"
          caption={user.credits > 0 ? 'Prepaid, and spent only while a session runs.' : 'Your balance is empty.'}
          details={[
            { label: 'Session time it buys', value: formatDurationWords(user.credits * live.periodMs) },
            { label: 'Rate', value: `${Math.round(60_000 / live.periodMs)} credits / min` },
          ]}
          footer={
            <Link
              href="/credits"
              className="inline-flex min-h-11 items-center gap-1.5 rounded-lg text-sm font-semibold text-indigo-700 hover:text-indigo-900"
            >
              Buy credits
              <span aria-hidden="true">→</span>
            </Link>
          }
        />
        <StatCard
          title="Time left"
          icon={<HourglassIcon />}
          value={formatClock(running && timeLeftMs !== null ? timeLeftMs : user.credits * live.periodMs)}
          muted={!running}
          testId="time-left"
          caption={
            running && session?.endsAt
              ? `Until ${formatTimeOfDay(session.endsAt)}, when your credits run out.`
              : 'What your balance buys. It counts down while a session runs.'
          }
          details={
            running && session?.nextChargeAt
              ? [{ label: 'Next credit charged', value: describeNextCharge(session.nextChargeAt, session.startTime, elapsedMs) }]
              : undefined
          }
        />
        <StatCard
          title="Used this session"
          icon={<CoinsIcon />}
          value={running && session ? session.creditsConsumed : 0}
          unit={running && session?.creditsConsumed === 1 ? 'credit' : 'credits'}
          muted={!running}
          testId="credits-used"
          caption={
            running && session
              ? `Including the first period, paid when it started at ${formatTimeOfDay(session.startTime)}.`
              : 'Nothing is being spent: no session is running.'
          }
        />
        <LastSessionCard session={live.lastEndedSession} running={running} />
      </div>
    </>
  );
}
