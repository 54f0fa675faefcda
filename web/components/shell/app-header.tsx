import Link from 'next/link';
import type { ReactNode } from 'react';
import type { ConnectionState } from '@/hooks/use-live-session';
import { BrandMark } from '../brand';
import { Button } from '../button';
import { ConnectionIndicator } from '../dashboard/connection-indicator';
import { AppNav, type Section } from './app-nav';

export interface AppHeaderProps {
  connection: ConnectionState | null;
  onLogOut?: () => void;
  loggingOut?: boolean;
  /** Shows the Admin link. */
  isAdmin?: boolean;
  /** More at the right of the header, before the connection state (e.g. the balance). */
  extra?: ReactNode;
  /** The section of the site this page is in, marked in the navigation. */
  section: Section;
}

export function AppHeader({ connection, onLogOut, loggingOut = false, isAdmin = false, extra, section }: AppHeaderProps) {
  return (
    <header className="sticky top-0 z-20 border-b border-slate-200 bg-white/90 backdrop-blur supports-[backdrop-filter]:bg-white/75">
      <div className="mx-auto flex h-16 w-full max-w-6xl items-center gap-3 px-4 sm:px-6 lg:gap-6 lg:px-8 wide:max-w-[100rem]">
        <Link href="/dashboard" className="inline-flex min-h-11 shrink-0 items-center gap-2.5 rounded-lg">
          <BrandMark />
          <span className="hidden text-base font-semibold tracking-tight text-slate-900 lg:inline">Minute Credits</span>
          <span className="sr-only lg:hidden">Minute Credits</span>
        </Link>
        <AppNav isAdmin={isAdmin} variant="inline" section={section} />
        <div className="ml-auto flex items-center gap-2 sm:gap-3">
          {extra}
          {connection ? <ConnectionIndicator state={connection} /> : null}
          {onLogOut ? (
            <Button variant="secondary" onClick={onLogOut} pending={loggingOut} pendingLabel="Signing out…" data-testid="logout">
              Log out
            </Button>
          ) : null}
        </div>
      </div>
      <AppNav isAdmin={isAdmin} variant="tabs" section={section} />
    </header>
  );
}
