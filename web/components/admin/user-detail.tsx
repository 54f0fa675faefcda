import { type Ref, useState } from 'react';
import type { AdminUserDetail } from '@/hooks/use-admin';
import { formatClock, formatTimeOfDay } from '@/lib/clock';
import { creditsWord, formatCount, formatDate, formatDateTimeSeconds } from '@/lib/format';
import type { AdminAction, AdminUserResponse } from '@/lib/wire';
import { Button } from '../button';
import { type Column, DataTable } from '../data-table';
import { Notice } from '../notice';
import { Panel } from '../panel';
import { AdminLedgerTable, SessionOutcome, SessionsTable } from '../usage/history-tables';
import { AdjustCreditsForm } from './adjust-credits-form';
import { AdminBadge } from './admin-tabs';
import { EndSessionControl } from './end-session-control';

const actionLabels: Record<AdminAction['action'], string> = {
  grant_credits: 'Granted credits',
  remove_credits: 'Removed credits',
  end_session: 'Ended the session',
  view_user: 'Viewed the account',
};

function describePayload(action: AdminAction): string {
  const payload = action.payload;
  const parts: string[] = [];
  if (typeof payload.delta === 'number') parts.push(`${payload.delta > 0 ? '+' : '−'}${formatCount(Math.abs(payload.delta))} credits`);
  if (typeof payload.reason === 'string') parts.push(`“${payload.reason}”`);
  if (typeof payload.sessionId === 'string') parts.push(`session ${payload.sessionId.slice(0, 8)}`);
  return parts.join(' · ') || '—';
}

function AdminActionsTable({ actions }: { actions: AdminAction[] }) {
  const columns: Column<AdminAction>[] = [
    { key: 'what', header: 'Action', primary: true, cell: (a) => actionLabels[a.action] ?? a.action },
    { key: 'when', header: 'When', nowrap: true, cell: (a) => formatDateTimeSeconds(a.createdAt) },
    { key: 'who', header: 'Admin', cell: (a) => <span className="break-all">{a.adminEmail}</span> },
    { key: 'details', header: 'Details', cell: (a) => describePayload(a) },
  ];
  return <DataTable caption="Admin actions on this account, newest first" columns={columns} rows={actions} rowKey={(a) => a.id} testId="admin-actions" />;
}

function Summary({ detail, serverOffsetMs }: { detail: AdminUserResponse; serverOffsetMs: number }) {
  const { user, session } = detail;
  const running = session?.isActive === true;
  const leftMs = running && session?.endsAt ? Math.max(0, Date.parse(session.endsAt) - (Date.now() + serverOffsetMs)) : null;
  return (
    <dl className="grid grid-cols-1 gap-4 sm:grid-cols-3">
      <div className="rounded-xl bg-slate-50 px-4 py-3 ring-1 ring-slate-200 ring-inset">
        <dt className="text-sm text-slate-600">Balance</dt>
        <dd className="mt-1 text-3xl font-semibold tracking-tight text-slate-900 tabular-nums" data-testid="admin-user-balance">
          {user.credits}
        </dd>
      </div>
      <div className="rounded-xl bg-slate-50 px-4 py-3 ring-1 ring-slate-200 ring-inset">
        <dt className="text-sm text-slate-600">Session</dt>
        <dd className="mt-1.5">
          {session ? <SessionOutcome session={session} /> : <span className="text-sm font-medium text-slate-700">Never started one</span>}
        </dd>
        {running && session ? (
          <dd className="mt-1.5 text-sm text-slate-700">
            {formatCount(session.creditsConsumed)} used{leftMs !== null ? `, ${formatClock(leftMs)} left` : ''}
            {session.endsAt ? ` (until ${formatTimeOfDay(session.endsAt)})` : ''}
          </dd>
        ) : null}
      </div>
      <div className="rounded-xl bg-slate-50 px-4 py-3 ring-1 ring-slate-200 ring-inset">
        <dt className="text-sm text-slate-600">Joined</dt>
        <dd className="mt-1.5 text-sm font-medium text-slate-900">{formatDate(user.createdAt)}</dd>
      </div>
    </dl>
  );
}

export interface UserDetailProps {
  state: AdminUserDetail;
  headingRef?: Ref<HTMLHeadingElement>;
  onClose(): void;
}

/** One user's account for an admin: balance, session, admin actions, ledger, history. */
export function UserDetail({ state, headingRef, onClose }: UserDetailProps) {
  const { detail } = state;
  if (state.notFound) {
    return (
      <Panel title="No such user" description="The link may be old, or the account was removed." headingRef={headingRef} testId="user-detail">
        <Button variant="secondary" onClick={onClose} className="self-start">
          Back to the list
        </Button>
      </Panel>
    );
  }
  if (detail === null) {
    return (
      <Panel title={state.error ? 'The account didn’t load' : 'Loading the account…'} headingRef={headingRef} testId="user-detail">
        {state.error ? (
          <>
            <Notice tone="error">{state.error}</Notice>
            <Button variant="secondary" onClick={state.refresh} className="mt-3 self-start">
              Try again
            </Button>
          </>
        ) : (
          <div className="space-y-3" aria-hidden="true">
            <div className="h-20 animate-pulse rounded-xl bg-slate-100" />
            <div className="h-40 animate-pulse rounded-xl bg-slate-100" />
          </div>
        )}
      </Panel>
    );
  }

  return <AccountView state={state} detail={detail} headingRef={headingRef} />;
}

function AccountView({ state, detail, headingRef }: { state: AdminUserDetail; detail: AdminUserResponse; headingRef?: Ref<HTMLHeadingElement> }) {
  const [showViews, setShowViews] = useState(false);
  const { user, session } = detail;
  const running = session?.isActive === true;
  const actions = showViews ? detail.adminActions : detail.adminActions.filter((a) => a.action !== 'view_user');
  const serverOffsetMs = Date.parse(detail.serverTime) - Date.now();
  return (
    <div className="space-y-4 lg:space-y-6" data-testid="user-detail" data-user-id={user.id}>
      <Panel
        title={user.email}
        headingId="user-detail-heading"
        headingRef={headingRef}
        description={
          <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
            <span className="font-mono text-xs break-all text-slate-600">{user.id}</span>
            {user.isAdmin ? <AdminBadge tone="indigo">Admin</AdminBadge> : null}
          </span>
        }
        actions={
          <Button variant="secondary" onClick={state.refresh} pending={state.loading} pendingLabel="Refreshing…" className="w-full sm:w-auto">
            Refresh
          </Button>
        }
      >
        <Summary detail={detail} serverOffsetMs={serverOffsetMs} />
      </Panel>

      <div className="grid grid-cols-1 items-start gap-4 md:grid-cols-2 lg:grid-cols-1 lg:gap-6 xl:grid-cols-2">
        <Panel title="Adjust credits" description="Grant credits or take them back. A running session’s end moves with the balance.">
          <AdjustCreditsForm email={user.email} balance={user.credits} pending={state.pending === 'adjust'} result={state.adjustResult} onSubmit={state.adjust} />
        </Panel>
        <Panel
          title="Live session"
          description={
            running && session
              ? `Running since ${formatTimeOfDay(session.startTime)}; ${creditsWord(session.creditsConsumed)} charged so far.`
              : 'No session is running, so there is nothing to end.'
          }
          testId="admin-session"
        >
          <EndSessionControl email={user.email} active={running} pending={state.pending === 'end'} result={state.endResult} onEnd={state.endSession} />
        </Panel>
      </div>

      <Panel title="Ledger" description="The latest 20 entries. Adjustments show the admin and their reason." testId="admin-ledger">
        {detail.ledger.length === 0 ? <p className="text-sm text-slate-600">Nothing on the ledger yet.</p> : <AdminLedgerTable entries={detail.ledger} testId="admin-ledger-table" />}
      </Panel>

      <Panel title="Sessions" description="The latest 10; a running one as of when this page read it.">
        {detail.sessions.length === 0 ? (
          <p className="text-sm text-slate-600">No sessions yet.</p>
        ) : (
          <SessionsTable sessions={detail.sessions} nowMs={Date.parse(detail.serverTime)} testId="admin-sessions" />
        )}
      </Panel>
      <Panel
        title="Admin actions"
        description="Changes made by admins, from the audit log (the latest 20 actions)."
        actions={
          <label className="inline-flex min-h-11 cursor-pointer items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" checked={showViews} onChange={(e) => setShowViews(e.target.checked)} className="size-4 accent-indigo-600" />
            Include views
          </label>
        }
      >
        {actions.length === 0 ? <p className="text-sm text-slate-600">None yet.</p> : <AdminActionsTable actions={actions} />}
      </Panel>
    </div>
  );
}
