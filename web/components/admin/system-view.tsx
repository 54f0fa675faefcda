import type { ReactNode } from 'react';
import { formatCount } from '@/lib/format';
import type { AdminSystemResponse } from '@/lib/wire';
import { Card } from '../dashboard/card';
import { StatCard } from '../dashboard/stat-card';
import { Notice } from '../notice';

function ms(value: number | null): string {
  if (value === null) return '—';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${formatCount(Math.round(value))} ms`;
}

function Icon({ tint, path }: { tint: string; path: string }) {
  return (
    <span className={`inline-flex size-9 items-center justify-center rounded-xl ${tint}`}>
      <svg viewBox="0 0 24 24" className="size-5" aria-hidden="true" focusable="false">
        <path d={path} fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
    </span>
  );
}

/** The platform's health in six numbers. */
export function SystemStats({ data }: { data: AdminSystemResponse }) {
  const overdue = data.overdueSessions;
  const scheduledMismatch = data.scheduledSessions !== null && data.scheduledSessions !== data.activeSessions;
  const cards: { key: string; node: ReactNode }[] = [
    {
      key: 'active',
      node: (
        <StatCard
          title="Active sessions"
          icon={<Icon tint="bg-emerald-50 text-emerald-700" path="M3 12h4l3-8 4 16 3-8h4" />}
          value={formatCount(data.activeSessions)}
          testId="system-active"
          caption={
            data.scheduledSessions === null
              ? 'The schedule (Redis) did not answer.'
              : `${formatCount(data.scheduledSessions)} in the tick’s schedule${scheduledMismatch ? ' — the tick re-scores the difference.' : '.'}`
          }
        />
      ),
    },
    {
      key: 'overdue',
      node: (
        <StatCard
          title="Overdue sessions"
          icon={<Icon tint={overdue > 0 ? 'bg-amber-50 text-amber-800' : 'bg-slate-100 text-slate-700'} path="M12 8v5m0 3.5h.01M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z" />}
          value={formatCount(overdue)}
          testId="system-overdue"
          caption={overdue > 0 ? 'Active more than 10 s past their end: the tick and the timer both missed them.' : 'None: every session ended on time.'}
        />
      ),
    },
    {
      key: 'charges',
      node: (
        <StatCard
          title="Charges, last minute"
          icon={<Icon tint="bg-sky-50 text-sky-700" path="M12 3v18M17 7.5c0-1.9-2.2-3-5-3s-5 1.1-5 3 2.2 2.7 5 3.5 5 1.6 5 3.5-2.2 3-5 3-5-1.1-5-3" />}
          value={formatCount(data.chargesLastMinute.credits)}
          unit="credits"
          testId="system-charges"
          caption={`${formatCount(data.chargesLastMinute.rows)} ledger rows in the last 60 s, at ${formatCount(Math.round(60_000 / data.periodMs))} credits a minute per session.`}
        />
      ),
    },
    {
      key: 'lateness',
      node: (
        <StatCard
          title="Tick lateness (p95)"
          icon={<Icon tint="bg-indigo-50 text-indigo-700" path="M12 7v5l3 2M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z" />}
          value={ms(data.tickLatenessMs.p95)}
          testId="system-lateness"
          caption="How long after its boundary each charge of the last 5 minutes was written."
          details={[
            { label: 'Worst', value: ms(data.tickLatenessMs.max) },
            { label: 'Charges measured', value: formatCount(data.tickLatenessMs.samples) },
          ]}
        />
      ),
    },
    {
      key: 'payments',
      node: (
        <StatCard
          title="Payments, last hour"
          icon={<Icon tint="bg-emerald-50 text-emerald-700" path="M3 7.5h18M5 5h14a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2ZM7 15h3" />}
          value={formatCount(data.payments.approvedLastHour)}
          unit="approved"
          testId="system-payments"
          caption={
            data.payments.declinedLastHour > 0
              ? `${formatCount(data.payments.declinedLastHour)} declined in the same hour.`
              : 'None declined in the same hour.'
          }
        />
      ),
    },
    {
      key: 'errors',
      node: (
        <Card title="Request errors" action={<Icon tint="bg-slate-100 text-slate-700" path="M12 16v-5m0-3.5h.01M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z" />}>
          <p className="mt-3 text-sm leading-6 text-slate-600">
            Not counted here: they aren’t stored anywhere these pages can read cheaply. In the cloud, see each function’s Errors metric
            and logs in CloudWatch (the operations stack alarms on them); locally, the JSON log lines with level ERROR.
          </p>
        </Card>
      ),
    },
  ];
  return (
    <div className="grid grid-cols-1 gap-4 md:grid-cols-2 lg:grid-cols-3 lg:gap-6" data-testid="system-stats">
      {cards.map((card) => (
        <div key={card.key} className="flex min-w-0 [&>section]:flex-1">
          {card.node}
        </div>
      ))}
      {overdue > 0 ? (
        <div className="md:col-span-2 lg:col-span-3">
          <Notice tone="warning" title="Sessions are overdue">
            {formatCount(overdue)} {overdue === 1 ? 'session is' : 'sessions are'} still active more than 10 s after the credits ran out. Check the tick’s and the
            expire function’s logs; `npm run audit` checks the ledger.
          </Notice>
        </div>
      ) : null}
    </div>
  );
}
