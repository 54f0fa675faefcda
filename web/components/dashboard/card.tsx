import type { ReactNode } from 'react';

export interface CardProps {
  title: string;
  titleId?: string;
  action?: ReactNode;
  className?: string;
  children: ReactNode;
  testId?: string;
}

/** A titled panel of the dashboard; a <section> named by its heading. */
export function Card({ title, titleId, action, className = '', children, testId }: CardProps) {
  const headingId = titleId ?? `card-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section
      aria-labelledby={headingId}
      data-testid={testId}
      className={`flex min-w-0 flex-col rounded-2xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6 ${className}`}
    >
      <div className="flex min-h-7 items-center justify-between gap-3">
        <h2 id={headingId} className="text-sm font-medium text-slate-600">
          {title}
        </h2>
        {action}
      </div>
      {children}
    </section>
  );
}
