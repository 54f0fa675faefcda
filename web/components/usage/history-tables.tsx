import { formatClock, sessionDurationMs } from '@/lib/clock';
import { formatCount, formatDateTimeSeconds, formatSignedCredits } from '@/lib/format';
import { describeLedgerEntry, ledgerChange } from '@/lib/ledger';
import type { AdminLedgerEntry, WireLedgerEntry, WireSession } from '@/lib/wire';
import { type Column, DataTable } from '../data-table';

export function SessionOutcome({ session }: { session: WireSession }) {
  const look = session.isActive
    ? { text: 'Running', className: 'bg-emerald-50 text-emerald-800 ring-emerald-200' }
    : session.endReason === 'exhausted'
      ? { text: 'Credits ran out', className: 'bg-amber-50 text-amber-900 ring-amber-200' }
      : { text: 'Stopped', className: 'bg-slate-100 text-slate-700 ring-slate-200' };
  return (
    <span className={`inline-flex items-center rounded-full px-2.5 py-0.5 text-xs font-semibold whitespace-nowrap ring-1 ring-inset ${look.className}`}>
      {look.text}
    </span>
  );
}

/** A live view of one session (the one this page watches over the socket). */
export interface LiveRow {
  session: WireSession | null;
  elapsedMs: number;
}

function duration(session: WireSession, live: LiveRow | undefined, nowMs: number | undefined): string {
  if (!session.isActive) return formatClock(sessionDurationMs(session));
  if (live && live.session?.id === session.id) return formatClock(live.elapsedMs);
  return nowMs === undefined ? 'Running' : formatClock(Math.max(0, nowMs - Date.parse(session.startTime)));
}

/**
 * Sessions, newest first. The row of the session the page watches live shows its live state
 * (clock, credits, end); the others are the stored values (a running one's duration as of `nowMs`).
 */
export function SessionsTable({ sessions, live, nowMs, testId }: { sessions: WireSession[]; live?: LiveRow; nowMs?: number; testId?: string }) {
  const rows = sessions.map((s) => (live?.session && live.session.id === s.id ? live.session : s));
  const columns: Column<WireSession>[] = [
    { key: 'start', header: 'Started', primary: true, nowrap: true, cell: (s) => formatDateTimeSeconds(s.startTime) },
    { key: 'duration', header: 'Duration', align: 'right', nowrap: true, cell: (s) => duration(s, live, nowMs) },
    { key: 'credits', header: 'Credits used', align: 'right', cell: (s) => formatCount(s.creditsConsumed) },
    { key: 'outcome', header: 'Outcome', cell: (s) => <SessionOutcome session={s} /> },
    { key: 'end', header: 'Ended', wideOnly: true, nowrap: true, cell: (s) => (s.endTime ? formatDateTimeSeconds(s.endTime) : '—') },
  ];
  return <DataTable caption="Past sessions, newest first" columns={columns} rows={rows} rowKey={(s) => s.id} testId={testId} highlight={(s) => s.isActive} />;
}

function Change({ entry }: { entry: WireLedgerEntry }) {
  const change = ledgerChange(entry);
  return (
    <span className={`font-semibold tabular-nums ${change > 0 ? 'text-emerald-700' : 'text-slate-900'}`}>
      {formatSignedCredits(change)}
    </span>
  );
}

export function LedgerTable({ entries, testId }: { entries: WireLedgerEntry[]; testId?: string }) {
  const columns: Column<WireLedgerEntry>[] = [
    { key: 'what', header: 'Entry', primary: true, cell: (e) => describeLedgerEntry(e) },
    { key: 'time', header: 'Time', nowrap: true, cell: (e) => formatDateTimeSeconds(e.timestamp) },
    { key: 'change', header: 'Credits', align: 'right', cell: (e) => <Change entry={e} /> },
    { key: 'balance', header: 'Balance after', align: 'right', cell: (e) => formatCount(e.remainingCredits) },
  ];
  return <DataTable caption="Ledger, newest first" columns={columns} rows={entries} rowKey={(e) => e.id} testId={testId} />;
}

/** The ledger as an admin sees it: who made an adjustment, and why. */
export function AdminLedgerTable({ entries, testId }: { entries: AdminLedgerEntry[]; testId?: string }) {
  const columns: Column<AdminLedgerEntry>[] = [
    { key: 'what', header: 'Entry', primary: true, cell: (e) => describeLedgerEntry(e) },
    { key: 'time', header: 'Time', nowrap: true, cell: (e) => formatDateTimeSeconds(e.timestamp) },
    { key: 'change', header: 'Credits', align: 'right', cell: (e) => <Change entry={e} /> },
    { key: 'balance', header: 'Balance after', align: 'right', cell: (e) => formatCount(e.remainingCredits) },
    {
      key: 'actor',
      header: 'By, and why',
      cell: (e) =>
        e.actorId ? (
          <span className="block min-w-0">
            <span className="block break-all text-slate-900">{e.actorEmail ?? e.actorId}</span>
            {e.note ? <span className="block text-slate-600">“{e.note}”</span> : null}
          </span>
        ) : (
          <span className="text-slate-500">—</span>
        ),
    },
  ];
  return <DataTable caption="Ledger, newest first" columns={columns} rows={entries} rowKey={(e) => e.id} testId={testId} />;
}
