'use client';

import Link from 'next/link';
import { BalancePanel } from '@/components/credits/balance-panel';
import { PackCard, PackCardSkeleton } from '@/components/credits/pack-card';
import { EndedBanner } from '@/components/dashboard/ended-banner';
import { Button } from '@/components/button';
import { Notice } from '@/components/notice';
import { HeaderBalance } from '@/components/shell/header-balance';
import { PageShell } from '@/components/shell/page-shell';
import { useCountdown } from '@/hooks/use-countdown';
import { useLiveSession } from '@/hooks/use-live-session';
import { usePurchase } from '@/hooks/use-purchase';
import { centsPer100Credits } from '@/lib/format';
import type { CreditPack } from '@/lib/wire';

/** Per-credit savings of each pack against the dearest one, in whole percent. */
function savings(packs: CreditPack[]): Map<string, number | null> {
  const rates = packs.map(centsPer100Credits);
  const dearest = Math.max(...rates);
  return new Map(packs.map((pack, i) => [pack.id, rates[i] === dearest ? null : Math.round((1 - (rates[i] ?? dearest) / dearest) * 100)]));
}

export default function CreditsPage() {
  const live = useLiveSession();
  const { timeLeftMs } = useCountdown(live.session, live.offsetMs);
  const purchase = usePurchase({ onApproved: live.acceptState, onUnauthorized: live.expire });
  const user = live.user;
  const packs = purchase.packs;
  const saved = packs ? savings(packs) : new Map<string, number | null>();
  const cheapest = packs && packs.length > 1 ? Math.min(...packs.map(centsPer100Credits)) : null;

  return (
    <PageShell
      live={live}
      headerExtra={<HeaderBalance credits={live.user?.credits ?? null} />}
      section="/credits"
      title="Buy credits"
      lead="Top up in one step. Credits are spent only while a session runs, and a running session gets the extra time at once."
    >
      {live.loadError && live.phase === 'loading' ? (
        <Notice tone="error" className="mt-6" testId="load-error">
          {live.loadError}
        </Notice>
      ) : null}
      {live.endedNotice ? (
        <div className="mt-6">
          <EndedBanner notice={live.endedNotice} onDismiss={live.dismissEndedNotice} />
        </div>
      ) : null}

      <div className="mt-6 grid grid-cols-1 gap-4 md:grid-cols-3 lg:gap-6 wide:grid-cols-4">
        {user ? (
          <BalancePanel
            className="md:col-span-3 wide:col-span-1"
            credits={user.credits}
            periodMs={live.periodMs}
            session={live.session}
            timeLeftMs={timeLeftMs}
          />
        ) : (
          <div className="h-44 animate-pulse rounded-2xl border border-slate-200 bg-white md:col-span-3 wide:col-span-1" aria-hidden="true" />
        )}

        <h2 className="sr-only">Credit packs</h2>
        {purchase.packsError ? (
          <div className="md:col-span-3">
            <Notice tone="error" testId="packs-error">
              {purchase.packsError}
            </Notice>
            <Button variant="secondary" className="mt-3" onClick={purchase.reloadPacks}>
              Try again
            </Button>
          </div>
        ) : packs === null ? (
          [0, 1, 2].map((key) => <PackCardSkeleton key={key} />)
        ) : (
          packs.map((pack) => (
            <PackCard
              key={pack.id}
              pack={pack}
              periodMs={live.periodMs}
              bestValue={cheapest !== null && centsPer100Credits(pack) === cheapest}
              savingsPct={saved.get(pack.id) ?? null}
              pending={purchase.pendingPack === pack.id}
              busy={purchase.pendingPack !== null && purchase.pendingPack !== pack.id}
              outcome={purchase.outcome?.packId === pack.id ? purchase.outcome : null}
              onBuy={() => purchase.buy(pack.id)}
              onDismiss={purchase.dismiss}
            />
          ))
        )}
      </div>

      <div className="mt-8 grid gap-4 text-sm leading-6 text-slate-600 md:grid-cols-3">
        <div>
          <p className="font-semibold text-slate-900">Charged once, whatever happens</p>
          <p className="mt-1">If the connection drops while you pay, pressing Buy again finishes the same purchase — never a second one.</p>
        </div>
        <div>
          <p className="font-semibold text-slate-900">Live on every device</p>
          <p className="mt-1">Your new balance and your session’s time left update at once in every tab you have open.</p>
        </div>
        <div>
          <p className="font-semibold text-slate-900">Every credit on the ledger</p>
          <p className="mt-1">
            Each purchase is a line in your ledger on the{' '}
            <Link href="/usage" className="font-semibold text-indigo-700 underline-offset-4 hover:underline">
              Usage
            </Link>{' '}
            page, with a CSV download.
          </p>
        </div>
      </div>
    </PageShell>
  );
}
