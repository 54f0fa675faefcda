import Link from 'next/link';

/**
 * The balance as a link to buy credits, in the header of the pages other than the dashboard
 * (which shows it large); on wide screens only. Not live-announced: each page has its own.
 */
export function HeaderBalance({ credits }: { credits: number | null }) {
  if (credits === null) return null;
  return (
    <Link
      href="/credits"
      data-testid="header-balance"
      className="hidden min-h-10 items-center gap-2 rounded-full border border-slate-200 bg-white px-3.5 text-sm font-medium text-slate-700 hover:border-indigo-300 hover:text-indigo-800 lg:inline-flex"
    >
      <span className="size-2 rounded-full bg-indigo-500" aria-hidden="true" />
      <span className="tabular-nums">
        <span className="font-semibold text-slate-900">{credits.toLocaleString()}</span> {credits === 1 ? 'credit' : 'credits'}
      </span>
      <span className="sr-only">, buy more</span>
    </Link>
  );
}
