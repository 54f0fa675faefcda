import { formatDurationWords } from '@/lib/clock';
import { formatCount } from '@/lib/format';
import type { UsageResponse } from '@/lib/wire';

/** The month in four numbers. */
export function UsageSummary({ usage }: { usage: UsageResponse }) {
  const totals = usage.days.reduce(
    (sum, day) => ({
      sessions: sum.sessions + day.sessions,
      spent: sum.spent + day.creditsSpent,
      added: sum.added + day.creditsAdded,
      activeDays: sum.activeDays + (day.sessions > 0 || day.creditsSpent > 0 ? 1 : 0),
    }),
    { sessions: 0, spent: 0, added: 0, activeDays: 0 },
  );
  const items = [
    { label: 'Sessions', value: formatCount(totals.sessions), note: `on ${totals.activeDays} ${totals.activeDays === 1 ? 'day' : 'days'}`, testId: 'usage-sessions' },
    { label: 'Time used', value: formatDurationWords(totals.spent * usage.periodMs), note: 'billed to the period', testId: 'usage-time' },
    { label: 'Credits spent', value: formatCount(totals.spent), note: 'by sessions', testId: 'usage-spent' },
    { label: 'Credits added', value: formatCount(totals.added), note: 'purchases and grants', testId: 'usage-added' },
  ];
  return (
    <section aria-labelledby="usage-summary-heading" className="rounded-2xl border border-slate-200 bg-white shadow-sm">
      <h2 id="usage-summary-heading" className="sr-only">
        Last {usage.days.length} days in numbers
      </h2>
      <dl className="grid grid-cols-2 divide-slate-100 lg:grid-cols-4 lg:divide-x">
        {items.map((item, index) => (
          <div
            key={item.label}
            className={`min-w-0 p-5 sm:p-6 ${index % 2 === 1 ? 'border-l border-slate-100 lg:border-l-0' : ''} ${index >= 2 ? 'border-t border-slate-100 lg:border-t-0' : ''}`}
          >
            <dt className="text-sm font-medium text-slate-600">{item.label}</dt>
            <dd className="mt-2 text-2xl font-semibold tracking-tight text-slate-900 tabular-nums sm:text-3xl" data-testid={item.testId}>
              {item.value}
            </dd>
            <dd className="mt-1 text-xs text-slate-600">{item.note}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
