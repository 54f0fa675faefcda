import type { ReactNode } from 'react';
import type { LiveSession } from '@/hooks/use-live-session';
import { AppHeader } from './app-header';
import type { Section } from './app-nav';

export interface PageShellProps {
  live: Pick<LiveSession, 'phase' | 'connection' | 'logOut' | 'pending' | 'user'>;
  /** Which navigation item is this page's. */
  section: Section;
  title: string;
  /** A line under the title. */
  lead?: ReactNode;
  /** Controls at the right of the title (below it on phones). */
  actions?: ReactNode;
  /** More in the header, e.g. `<HeaderBalance>` (the dashboard shows the balance itself). */
  headerExtra?: ReactNode;
  children: ReactNode;
}

/** The frame of every signed-in page: header with navigation, title row, content, footer. */
export function PageShell({ live, section, title, lead, actions, headerExtra, children }: PageShellProps) {
  return (
    <div className="flex min-h-dvh flex-col">
      <AppHeader
        connection={live.phase === 'ready' ? live.connection : 'connecting'}
        onLogOut={live.logOut}
        loggingOut={live.pending === 'logout'}
        isAdmin={live.user?.isAdmin === true}
        extra={headerExtra}
        section={section}
      />
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6 sm:px-6 md:py-8 lg:px-8 wide:max-w-[100rem]">
        <div className="flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
          <div className="min-w-0">
            <h1 className="text-2xl font-semibold tracking-tight text-slate-900 sm:text-3xl">{title}</h1>
            {lead ? <p className="mt-1 text-sm text-slate-600">{lead}</p> : null}
          </div>
          {actions ? <div className="flex shrink-0 flex-wrap items-center gap-2">{actions}</div> : null}
        </div>
        {children}
      </main>
      <AppFooter />
    </div>
  );
}

export function AppFooter() {
  return (
    <footer className="border-t border-slate-200 bg-white">
      <div className="mx-auto flex w-full max-w-6xl flex-col gap-1 px-4 py-5 text-xs text-slate-600 sm:flex-row sm:justify-between sm:px-6 lg:px-8 wide:max-w-[100rem]">
        <p>Minute Credits — prepaid live sessions, billed to the period.</p>
        <p>Times are shown in your local time zone.</p>
      </div>
    </footer>
  );
}
