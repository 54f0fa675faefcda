import type { PurchaseOutcome } from '@/hooks/use-purchase';
import { formatDurationWords } from '@/lib/clock';
import { centsPer100Credits, formatCount, formatMoney } from '@/lib/format';
import type { CreditPack } from '@/lib/wire';
import { Button } from '../button';
import { Notice } from '../notice';

export interface PackCardProps {
  pack: CreditPack;
  periodMs: number;
  /** The lowest price per credit of the catalogue. */
  bestValue: boolean;
  /** Percent saved per credit against the dearest pack (null for that one). */
  savingsPct: number | null;
  /** This pack is being bought. */
  pending: boolean;
  /** Another pack is being bought: this one waits. */
  busy: boolean;
  /** The answer to this pack's last purchase, shown under its button. */
  outcome: PurchaseOutcome | null;
  onBuy(): void;
  onDismiss(): void;
}

function Check() {
  return (
    <svg viewBox="0 0 24 24" className="mt-0.5 size-5 shrink-0 text-indigo-600" aria-hidden="true" focusable="false">
      <path d="m7.5 12.5 3 3 6-6.5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

/** One pack of the catalogue: what it buys, what it costs, and its Buy button. */
export function PackCard({ pack, periodMs, bestValue, savingsPct, pending, busy, outcome, onBuy, onDismiss }: PackCardProps) {
  const price = formatMoney(pack.amountCents, pack.currency);
  const per100 = formatMoney(Math.round(centsPer100Credits(pack)), pack.currency);
  const headingId = `pack-${pack.id}-name`;
  const outcomeId = `pack-${pack.id}-outcome`;
  return (
    <section
      aria-labelledby={headingId}
      data-testid={`pack-${pack.id}`}
      className={`relative flex min-w-0 flex-col rounded-2xl border bg-white p-5 shadow-sm sm:p-6 ${bestValue ? 'border-indigo-300 ring-1 ring-indigo-300' : 'border-slate-200'}`}
    >
      <div className="flex min-h-7 items-center justify-between gap-3">
        <h3 id={headingId} className="text-base font-semibold text-slate-900">
          {pack.name}
        </h3>
        {bestValue ? (
          <span className="rounded-full bg-indigo-600 px-2.5 py-1 text-xs font-semibold text-white">
            Best value{savingsPct !== null && savingsPct > 0 ? ` · save ${savingsPct}%` : ''}
          </span>
        ) : savingsPct !== null && savingsPct > 0 ? (
          <span className="rounded-full bg-emerald-50 px-2.5 py-1 text-xs font-semibold text-emerald-800 ring-1 ring-emerald-200 ring-inset">
            Save {savingsPct}%
          </span>
        ) : null}
      </div>
      <p className="mt-4 flex items-baseline gap-2">
        <span className="text-4xl font-semibold tracking-tight text-slate-900 tabular-nums">{formatCount(pack.credits)}</span>
        <span className="text-base font-medium text-slate-600">credits</span>
      </p>
      <p className="mt-1 text-sm text-slate-600">
        <span className="text-lg font-semibold text-slate-900">{price}</span>
        <span className="mx-1.5" aria-hidden="true">
          ·
        </span>
        {per100} per 100 credits
      </p>
      <ul className="mt-5 space-y-2.5 border-t border-slate-100 pt-5 text-sm text-slate-700">
        <li className="flex gap-2.5">
          <Check />
          <span>
            <span className="font-semibold text-slate-900">{formatDurationWords(pack.credits * periodMs)}</span> of live session time
          </span>
        </li>
        <li className="flex gap-2.5">
          <Check />
          <span>Added to your balance at once</span>
        </li>
        <li className="flex gap-2.5">
          <Check />
          <span>A running session runs longer, on all your devices</span>
        </li>
      </ul>
      <div className="mt-6 flex flex-1 flex-col justify-end">
        {outcome ? (
          <div className="mb-4">
            {outcome.kind === 'approved' ? (
              <Notice tone="success" title="Payment approved" id={outcomeId} testId="purchase-success" onDismiss={onDismiss}>
                {formatCount(outcome.purchase.credits)} credits were added to your balance ({formatMoney(outcome.purchase.amountCents, outcome.purchase.currency)}).
              </Notice>
            ) : outcome.kind === 'declined' ? (
              <Notice tone="error" title="Payment declined" id={outcomeId} testId="purchase-declined" onDismiss={onDismiss}>
                {outcome.message}
              </Notice>
            ) : (
              <Notice tone="error" title={outcome.retryable ? 'We couldn’t confirm your purchase' : 'Purchase failed'} id={outcomeId} testId="purchase-error" onDismiss={onDismiss}>
                {outcome.message}
              </Notice>
            )}
          </div>
        ) : null}
        <Button
          size="lg"
          variant={bestValue ? 'primary' : 'secondary'}
          className="w-full"
          onClick={onBuy}
          pending={pending}
          pendingLabel="Processing payment…"
          unavailable={busy}
          aria-describedby={outcome ? outcomeId : undefined}
          data-testid={`buy-${pack.id}`}
        >
          Buy {pack.name} for {price}
        </Button>
      </div>
    </section>
  );
}

export function PackCardSkeleton() {
  return (
    <div className="rounded-2xl border border-slate-200 bg-white p-6" aria-hidden="true">
      <div className="h-5 w-24 animate-pulse rounded-lg bg-slate-200/70" />
      <div className="mt-5 h-9 w-32 animate-pulse rounded-lg bg-slate-200/70" />
      <div className="mt-3 h-4 w-40 animate-pulse rounded-lg bg-slate-200/70" />
      <div className="mt-8 h-20 animate-pulse rounded-lg bg-slate-100" />
      <div className="mt-6 h-12 animate-pulse rounded-xl bg-slate-200/70" />
    </div>
  );
}
