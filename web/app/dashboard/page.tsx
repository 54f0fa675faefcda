'use client';

import { Suspense, lazy, useEffect } from 'react';
import { DashboardSkeleton } from '@/components/dashboard/dashboard-skeleton';
import { Notice } from '@/components/notice';
import { PageShell } from '@/components/shell/page-shell';
import { useLiveSession } from '@/hooks/use-live-session';

// The cards are drawn only once the first status has answered, so their code (and the clock's)
// is a chunk of its own, not first-load JavaScript: the page asks for it as soon as it mounts,
// in parallel with that status request, and shows the skeleton until both are there.
const loadBody = () => import('@/components/dashboard/dashboard-body');
const DashboardBody = lazy(() => loadBody().then((m) => ({ default: m.DashboardBody })));

export default function DashboardPage() {
  const live = useLiveSession();
  const user = live.user;

  useEffect(() => {
    // Only starts the download early; React.lazy loads the module when the body first renders.
    loadBody().catch(() => undefined);
  }, []);

  return (
    <PageShell
      live={live}
      section="/dashboard"
      title="Dashboard"
      lead={
        user ? (
          <span className="block truncate">
            Signed in as <span className="font-medium text-slate-800">{user.email}</span>
          </span>
        ) : (
          'Loading your account…'
        )
      }
    >
      {live.phase === 'loading' ? (
        <div className="mt-6 space-y-4">
          {live.loadError ? (
            <Notice tone="error" testId="load-error">
              {live.loadError}
            </Notice>
          ) : null}
          <DashboardSkeleton />
        </div>
      ) : user ? (
        <Suspense
          fallback={
            <div className="mt-6">
              <DashboardSkeleton />
            </div>
          }
        >
          <DashboardBody live={live} user={user} />
        </Suspense>
      ) : null}
    </PageShell>
  );
}
