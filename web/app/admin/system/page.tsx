'use client';

import { Suspense, lazy } from 'react';
import { AdminNotFound, AdminOpening } from '@/components/admin/admin-gate';
import { AdminTabs } from '@/components/admin/admin-tabs';
import { SystemStats } from '@/components/admin/system-view';
import { Button } from '@/components/button';
import { Notice } from '@/components/notice';
import { HeaderBalance } from '@/components/shell/header-balance';
import { PageShell } from '@/components/shell/page-shell';
import { ChartPanel, ChartSkeleton } from '@/components/usage/chart-panel';
import { useAdminSystem } from '@/hooks/use-admin';
import { useLiveSession } from '@/hooks/use-live-session';
import { formatTimeOfDay } from '@/lib/clock';
import { formatCount, formatMinute } from '@/lib/format';

// Recharts is loaded on demand, when the first numbers have come.
const ChargesPerMinuteChart = lazy(() => import('@/components/usage/usage-charts').then((m) => ({ default: m.ChargesPerMinuteChart })));

/** `/admin/system`: active, scheduled and overdue sessions, charges per minute, tick lateness, payments. */
export default function AdminSystemPage() {
  const live = useLiveSession();
  const isAdmin = live.user?.isAdmin === true;
  const system = useAdminSystem({ enabled: isAdmin, onUnauthorized: live.expire });
  const data = system.data;

  if (live.phase === 'loading' || live.user === null) return <AdminOpening />;
  if (!isAdmin || system.forbidden) return <AdminNotFound />;

  const perMinute = data?.chargesPerMinute ?? [];
  const total = perMinute.reduce((n, m) => n + m.credits, 0);

  return (
    <PageShell
      live={live}
      headerExtra={<HeaderBalance credits={live.user?.credits ?? null} />}
      section="/admin"
      title="System"
      lead="The billing engine right now. Refreshes every 10 seconds."
      actions={
        <>
          <p className="text-sm text-slate-600">
            {system.updatedAtMs ? `Updated ${formatTimeOfDay(new Date(system.updatedAtMs).toISOString())}` : 'Loading…'}
          </p>
          <Button variant="secondary" onClick={system.refresh} pending={system.refreshing} pendingLabel="Refreshing…">
            Refresh
          </Button>
        </>
      }
    >
      <AdminTabs current="/admin/system" />
      <div className="mt-6 space-y-4 lg:space-y-6">
        {system.error ? <Notice tone="error">{system.error}</Notice> : null}
        {data ? (
          <SystemStats data={data} />
        ) : (
          <div className="grid grid-cols-1 gap-4 md:grid-cols-2 lg:grid-cols-3 lg:gap-6" aria-hidden="true">
            {[0, 1, 2, 3, 4, 5].map((key) => (
              <div key={key} className="h-40 animate-pulse rounded-2xl border border-slate-200 bg-white" />
            ))}
          </div>
        )}
        <ChartPanel
          title="Credits charged per minute"
          testId="chart-charges"
          summary={data ? `${formatCount(total)} credits charged in the last ${perMinute.length} minutes.` : 'Loading…'}
          empty={data && total === 0 ? 'No charges in the last 15 minutes' : null}
          table={{
            caption: 'Credits charged per minute, oldest first',
            headers: ['Minute', 'Credits', 'Ledger rows'],
            rows: perMinute.map((m) => [formatMinute(m.minute), m.credits, m.rows]),
          }}
        >
          {data ? (
            <Suspense fallback={<ChartSkeleton />}>
              <ChargesPerMinuteChart minutes={perMinute} />
            </Suspense>
          ) : (
            <ChartSkeleton />
          )}
        </ChartPanel>
      </div>
    </PageShell>
  );
}
