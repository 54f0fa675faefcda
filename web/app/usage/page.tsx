'use client';

import { Suspense, lazy, useEffect, useRef } from 'react';
import { Button } from '@/components/button';
import { LoadMore } from '@/components/data-table';
import { Notice } from '@/components/notice';
import { Panel } from '@/components/panel';
import { HeaderBalance } from '@/components/shell/header-balance';
import { PageShell } from '@/components/shell/page-shell';
import { ChartPanel, ChartSkeleton } from '@/components/usage/chart-panel';
import { LedgerTable, SessionsTable } from '@/components/usage/history-tables';
import { UsageSummary } from '@/components/usage/usage-summary';
import { useCountdown } from '@/hooks/use-countdown';
import { useLedgerExport } from '@/hooks/use-ledger-export';
import { useLiveSession } from '@/hooks/use-live-session';
import { usePagedList } from '@/hooks/use-paged-list';
import { useUsage } from '@/hooks/use-usage';
import { fetchLedger, fetchSessionHistory } from '@/lib/api-credits';
import { formatCount, formatUtcDay } from '@/lib/format';
import type { UsageDay } from '@/lib/wire';

// Recharts is loaded only here (and on the admin system view), once the data has come: the
// chunk is fetched on first render of a chart (never at build time, when there is no data).
const SessionsPerDayChart = lazy(() => import('@/components/usage/usage-charts').then((m) => ({ default: m.SessionsPerDayChart })));
const CreditsPerDayChart = lazy(() => import('@/components/usage/usage-charts').then((m) => ({ default: m.CreditsPerDayChart })));

const USAGE_DAYS = 30;
const fetchSessionsPage = (token: string, cursor: string | null) => fetchSessionHistory(token, cursor, 20);
const fetchLedgerPage = (token: string, cursor: string | null) => fetchLedger(token, cursor, 25);

function busiest(days: UsageDay[], pick: (day: UsageDay) => number): UsageDay | null {
  let best: UsageDay | null = null;
  for (const day of days) if (pick(day) > 0 && (best === null || pick(day) >= pick(best))) best = day;
  return best;
}

function sessionsSummary(days: UsageDay[]): string {
  const total = days.reduce((n, d) => n + d.sessions, 0);
  if (total === 0) return `No sessions in the last ${days.length} days.`;
  const top = busiest(days, (d) => d.sessions);
  return `${formatCount(total)} ${total === 1 ? 'session' : 'sessions'} in the last ${days.length} days${top ? `; the busiest day was ${formatUtcDay(top.date, true)} with ${top.sessions}` : ''}.`;
}

function creditsSummary(days: UsageDay[]): string {
  const spent = days.reduce((n, d) => n + d.creditsSpent, 0);
  const added = days.reduce((n, d) => n + d.creditsAdded, 0);
  return `${formatCount(spent)} credits spent and ${formatCount(added)} added in the last ${days.length} days (days in UTC).`;
}

export default function UsagePage() {
  const live = useLiveSession();
  const { elapsedMs } = useCountdown(live.session, live.offsetMs);
  const usage = useUsage(USAGE_DAYS, live.expire);
  const sessions = usePagedList(fetchSessionsPage, { onUnauthorized: live.expire, what: 'your sessions didn’t load' });
  const ledger = usePagedList(fetchLedgerPage, { onUnauthorized: live.expire, what: 'your ledger didn’t load' });
  const csv = useLedgerExport(live.expire);
  const days = usage.data?.days ?? null;

  // A session starting or ending (here or on another device) changes every list: read them again.
  const sessionKey = live.session ? `${live.session.id}:${live.session.isActive}` : 'none';
  const seenKeyRef = useRef<string | null>(null);
  const { reload: reloadUsage } = usage;
  const { reload: reloadSessions } = sessions;
  const { reload: reloadLedger } = ledger;
  useEffect(() => {
    if (live.phase !== 'ready') return;
    if (seenKeyRef.current !== null && seenKeyRef.current !== sessionKey) {
      reloadUsage();
      reloadSessions();
      reloadLedger();
    }
    seenKeyRef.current = sessionKey;
  }, [live.phase, sessionKey, reloadUsage, reloadSessions, reloadLedger]);

  return (
    <PageShell live={live} headerExtra={<HeaderBalance credits={live.user?.credits ?? null} />} section="/usage" title="Usage" lead={`Your last ${USAGE_DAYS} days, every session, and every credit on the ledger.`}>
      <div className="mt-6 space-y-4 lg:space-y-6">
        {usage.error ? (
          <Notice tone="error" testId="usage-error">
            {usage.error}{' '}
            <button type="button" onClick={usage.reload} className="min-h-11 cursor-pointer font-semibold underline underline-offset-4">
              Try again
            </button>
          </Notice>
        ) : null}

        {usage.data ? <UsageSummary usage={usage.data} /> : <div className="h-32 animate-pulse rounded-2xl border border-slate-200 bg-white" aria-hidden="true" />}

        <div className="grid grid-cols-1 gap-4 lg:grid-cols-2 lg:gap-6">
          <ChartPanel
            title="Sessions per day"
            testId="chart-sessions"
            summary={days ? sessionsSummary(days) : 'Loading…'}
            empty={days && days.every((d) => d.sessions === 0) ? 'No sessions yet' : null}
            table={{
              caption: 'Sessions started per day (UTC)',
              headers: ['Day', 'Sessions'],
              rows: (days ?? []).map((d) => [formatUtcDay(d.date, true), d.sessions]),
            }}
          >
            {days ? (
              <Suspense fallback={<ChartSkeleton />}>
                <SessionsPerDayChart days={days} />
              </Suspense>
            ) : (
              <ChartSkeleton />
            )}
          </ChartPanel>
          <ChartPanel
            title="Credits per day"
            testId="chart-credits"
            summary={days ? creditsSummary(days) : 'Loading…'}
            empty={days && days.every((d) => d.creditsSpent === 0 && d.creditsAdded === 0) ? 'Nothing spent or added yet' : null}
            table={{
              caption: 'Credits spent and added per day (UTC)',
              headers: ['Day', 'Spent', 'Added'],
              rows: (days ?? []).map((d) => [formatUtcDay(d.date, true), d.creditsSpent, d.creditsAdded]),
            }}
          >
            {days ? (
              <Suspense fallback={<ChartSkeleton />}>
                <CreditsPerDayChart days={days} />
              </Suspense>
            ) : (
              <ChartSkeleton />
            )}
          </ChartPanel>
        </div>

        <div className="grid grid-cols-1 items-start gap-4 lg:gap-6 wide:grid-cols-2">
          <Panel title="Past sessions" description="Newest first. A running session is shown live." testId="sessions-panel">
            {sessions.error ? <Notice tone="error">{sessions.error}</Notice> : null}
            {sessions.loading ? (
              <TableSkeleton />
            ) : sessions.items.length === 0 && !sessions.error ? (
              <EmptyState title="No sessions yet" text="Start one on your dashboard; it will be listed here when it begins." />
            ) : (
              <>
                <SessionsTable sessions={sessions.items} live={{ session: live.session, elapsedMs }} testId="sessions-table" />
                <LoadMore hasMore={sessions.hasMore} loading={sessions.loadingMore} count={sessions.items.length} noun={['sessions', 'session']} onLoadMore={sessions.loadMore} />
              </>
            )}
          </Panel>

          <Panel
            title="Ledger"
            description="Every change to your balance, newest first."
            testId="ledger-panel"
            actions={
              <Button
                variant="secondary"
                onClick={csv.run}
                pending={csv.state.phase === 'running'}
                pendingLabel={csv.state.phase === 'running' ? `Preparing… ${formatCount(csv.state.rows)} rows` : 'Preparing…'}
                data-testid="download-csv"
                className="w-full sm:w-auto"
                icon={
                  <svg viewBox="0 0 24 24" className="size-4" aria-hidden="true" focusable="false">
                    <path d="M12 4v11m0 0-4-4m4 4 4-4M5 19h14" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
                  </svg>
                }
              >
                Download CSV
              </Button>
            }
          >
            {csv.state.phase === 'error' ? (
              <Notice tone="error" className="mb-4">
                {csv.state.message}
              </Notice>
            ) : csv.state.phase === 'done' ? (
              <Notice tone="success" className="mb-4" testId="csv-done">
                Downloaded {csv.state.fileName}: {formatCount(csv.state.rows)} {csv.state.rows === 1 ? 'entry' : 'entries'}.
              </Notice>
            ) : null}
            {ledger.error ? <Notice tone="error">{ledger.error}</Notice> : null}
            {ledger.loading ? (
              <TableSkeleton />
            ) : ledger.items.length === 0 && !ledger.error ? (
              <EmptyState title="Nothing on the ledger yet" text="Credits added and spent appear here." />
            ) : (
              <>
                <LedgerTable entries={ledger.items} testId="ledger-table" />
                <LoadMore hasMore={ledger.hasMore} loading={ledger.loadingMore} count={ledger.items.length} noun={['entries', 'entry']} onLoadMore={ledger.loadMore} />
              </>
            )}
          </Panel>
        </div>
      </div>
    </PageShell>
  );
}

function TableSkeleton() {
  return (
    <div className="space-y-3" aria-hidden="true">
      {[0, 1, 2, 3].map((key) => (
        <div key={key} className="h-9 animate-pulse rounded-lg bg-slate-100" />
      ))}
    </div>
  );
}

function EmptyState({ title, text }: { title: string; text: string }) {
  return (
    <div className="rounded-xl border border-dashed border-slate-300 px-4 py-8 text-center">
      <p className="text-sm font-semibold text-slate-900">{title}</p>
      <p className="mt-1 text-sm text-slate-600">{text}</p>
    </div>
  );
}
