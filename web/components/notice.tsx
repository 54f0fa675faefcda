import type { ReactNode } from 'react';

type Tone = 'error' | 'warning' | 'info' | 'success';

const toneClasses: Record<Tone, string> = {
  error: 'border-rose-200 bg-rose-50 text-rose-900',
  warning: 'border-amber-300 bg-amber-50 text-amber-950',
  info: 'border-sky-200 bg-sky-50 text-sky-950',
  success: 'border-emerald-200 bg-emerald-50 text-emerald-950',
};

const iconPaths: Record<Tone, string> = {
  error: 'M12 9v4m0 4h.01M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0Z',
  warning: 'M12 8v5m0 3.5h.01M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z',
  info: 'M12 16v-5m0-3.5h.01M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z',
  success: 'm8.5 12.5 2.5 2.5 5-5.5M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z',
};

export interface NoticeProps {
  tone: Tone;
  title?: ReactNode;
  children: ReactNode;
  /** Errors are announced at once (role=alert); everything else politely (role=status). */
  onDismiss?: () => void;
  className?: string;
  testId?: string;
  id?: string;
}

/** A message in a coloured box, in plain sentences. */
export function Notice({ tone, title, children, onDismiss, className = '', testId, id }: NoticeProps) {
  return (
    <div
      id={id}
      role={tone === 'error' ? 'alert' : 'status'}
      data-testid={testId}
      className={`flex items-start gap-3 rounded-xl border px-4 py-3 text-sm leading-6 ${toneClasses[tone]} ${className}`}
    >
      <svg viewBox="0 0 24 24" className="mt-0.5 size-5 shrink-0" aria-hidden="true" focusable="false">
        <path d={iconPaths[tone]} fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      <div className="min-w-0 flex-1">
        {title ? <p className="font-semibold">{title}</p> : null}
        <div>{children}</div>
      </div>
      {onDismiss ? (
        <button
          type="button"
          onClick={onDismiss}
          className="-my-2 -mr-2 inline-flex size-11 shrink-0 cursor-pointer items-center justify-center rounded-lg hover:bg-black/5"
        >
          <span className="sr-only">Dismiss</span>
          <svg viewBox="0 0 24 24" className="size-5" aria-hidden="true" focusable="false">
            <path d="M6 6l12 12M18 6 6 18" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
          </svg>
        </button>
      ) : null}
    </div>
  );
}
