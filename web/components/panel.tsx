import type { ReactNode } from 'react';

export interface PanelProps {
  title: string;
  /** A sentence under the title. */
  description?: ReactNode;
  /** Controls at the right of the title (under it on phones). */
  actions?: ReactNode;
  className?: string;
  children: ReactNode;
  testId?: string;
  headingId?: string;
  /** Set on the heading so it can take focus (e.g. after choosing a user on a phone). */
  headingRef?: React.Ref<HTMLHeadingElement>;
}

/** A titled section: a <section> named by its heading, in the dashboard's card style. */
export function Panel({ title, description, actions, className = '', children, testId, headingId, headingRef }: PanelProps) {
  const id = headingId ?? `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section aria-labelledby={id} data-testid={testId} className={`flex min-w-0 flex-col rounded-2xl border border-slate-200 bg-white shadow-sm ${className}`}>
      <div className="flex flex-col gap-3 px-5 pt-5 sm:flex-row sm:items-start sm:justify-between sm:px-6 sm:pt-6">
        <div className="min-w-0">
          <h2 id={id} ref={headingRef} tabIndex={headingRef ? -1 : undefined} className="text-base font-semibold tracking-tight text-slate-900">
            {title}
          </h2>
          {description ? <p className="mt-1 text-sm leading-6 text-slate-600">{description}</p> : null}
        </div>
        {actions ? <div className="flex shrink-0 flex-wrap items-center gap-2">{actions}</div> : null}
      </div>
      <div className="flex min-w-0 flex-1 flex-col px-5 pt-4 pb-5 sm:px-6 sm:pb-6">{children}</div>
    </section>
  );
}
