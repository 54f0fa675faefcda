import type { ConnectionState } from '@/hooks/use-live-session';

const look: Record<ConnectionState, { label: string; dot: string; text: string }> = {
  connecting: { label: 'Connecting…', dot: 'bg-amber-500', text: 'text-amber-900' },
  live: { label: 'Live', dot: 'bg-emerald-500', text: 'text-emerald-800' },
  reconnecting: { label: 'Reconnecting…', dot: 'bg-amber-500', text: 'text-amber-900' },
  offline: { label: 'Offline', dot: 'bg-rose-600', text: 'text-rose-800' },
};

/** Whether live updates are flowing; announced politely when it changes. */
export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  const { label, dot, text } = look[state];
  return (
    <p
      role="status"
      data-testid="connection-status"
      data-state={state}
      className={`inline-flex min-h-9 items-center gap-2 rounded-full border border-slate-200 bg-white px-3 text-sm font-medium ${text}`}
    >
      <span className="relative flex size-2.5" aria-hidden="true">
        {state === 'live' ? <span className="absolute inline-flex size-full animate-ping rounded-full bg-emerald-400 opacity-60" /> : null}
        <span className={`relative inline-flex size-2.5 rounded-full ${dot}`} />
      </span>
      <span className="sr-only">Live updates: </span>
      {label}
    </p>
  );
}
