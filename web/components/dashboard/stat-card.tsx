import type { ReactNode } from 'react';
import { Card } from './card';

export interface StatCardProps {
  title: string;
  value: ReactNode;
  unit?: string;
  caption: ReactNode;
  /** Announce changes of the value politely to screen readers. */
  live?: boolean;
  muted?: boolean;
  icon?: ReactNode;
  testId: string;
  /** Extra facts under the caption, as label/value rows. */
  details?: { label: string; value: ReactNode }[];
  /** A link or control under everything else. */
  footer?: ReactNode;
}

/** One number with its unit and a sentence of context. */
export function StatCard({ title, value, unit, caption, live = false, muted = false, icon, testId, details, footer }: StatCardProps) {
  return (
    <Card title={title} action={icon}>
      <p className="mt-3 flex items-baseline gap-2" aria-live={live ? 'polite' : undefined} aria-atomic={live ? true : undefined}>
        <span
          data-testid={testId}
          className={`text-4xl font-semibold tracking-tight tabular-nums ${muted ? 'text-slate-500' : 'text-slate-900'}`}
        >
          {value}
        </span>
        {unit ? <span className="text-base font-medium text-slate-600">{unit}</span> : null}
      </p>
      <p className="mt-2 text-sm leading-6 text-slate-600">{caption}</p>
      {details && details.length > 0 ? (
        <div className="mt-5 flex flex-1 flex-col justify-end">
          <dl className="grid gap-2 border-t border-slate-100 pt-4 text-sm">
            {details.map((row) => (
              <div key={row.label} className="flex items-center justify-between gap-3">
                <dt className="text-slate-600">{row.label}</dt>
                <dd className="font-medium text-slate-900 tabular-nums">{row.value}</dd>
              </div>
            ))}
          </dl>
        </div>
      ) : null}
      {footer ? <div className={details && details.length > 0 ? 'mt-2' : 'mt-auto pt-3'}>{footer}</div> : null}
    </Card>
  );
}
