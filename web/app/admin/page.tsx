'use client';

import { useEffect, useRef, useState } from 'react';
import { AdminNotFound, AdminOpening } from '@/components/admin/admin-gate';
import { AdminTabs } from '@/components/admin/admin-tabs';
import { UserDetail } from '@/components/admin/user-detail';
import { UserSearch } from '@/components/admin/user-search';
import { Panel } from '@/components/panel';
import { HeaderBalance } from '@/components/shell/header-balance';
import { PageShell } from '@/components/shell/page-shell';
import { useAdminUser, useAdminUserSearch } from '@/hooks/use-admin';
import { useLiveSession } from '@/hooks/use-live-session';
import { useQueryParam } from '@/hooks/use-query-param';

/**
 * `/admin` (`/admin?user=<id>` for one user): find users, see one account, grant or remove
 * credits, end a live session. Shown only to admins; anyone else (or a 403) sees "not found".
 */
export default function AdminPage() {
  const live = useLiveSession();
  const isAdmin = live.user?.isAdmin === true;
  const [selectedId, select] = useQueryParam('user');
  const [query, setQuery] = useState('');
  const search = useAdminUserSearch(query, { enabled: isAdmin, onUnauthorized: live.expire });
  const account = useAdminUser(selectedId, { enabled: isAdmin, onUnauthorized: live.expire, onChanged: search.reload });
  const detailHeadingRef = useRef<HTMLHeadingElement>(null);
  const detailRef = useRef<HTMLDivElement>(null);
  const focusDetailRef = useRef(false);

  // After choosing a user, move focus (and, on a phone, the view) to their account once it shows.
  const loadedId = account.detail?.user.id ?? null;
  useEffect(() => {
    if (!focusDetailRef.current || loadedId === null) return;
    focusDetailRef.current = false;
    detailHeadingRef.current?.focus({ preventScroll: true });
    // On a phone the account is below the list: bring it into view. Beside the list, it already is.
    const top = detailRef.current?.getBoundingClientRect().top ?? 0;
    if (top > window.innerHeight * 0.6) detailRef.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }, [loadedId]);

  if (live.phase === 'loading' || live.user === null) return <AdminOpening />;
  if (!isAdmin || search.forbidden || account.forbidden) return <AdminNotFound />;

  return (
    <PageShell live={live} headerExtra={<HeaderBalance credits={live.user?.credits ?? null} />} section="/admin" title="Admin" lead="Find an account, adjust its credits, or end its session. Every action is recorded.">
      <AdminTabs current="/admin" />
      <div className="mt-6 grid grid-cols-1 items-start gap-4 lg:grid-cols-[minmax(0,1fr)_minmax(0,2fr)] lg:gap-6 wide:grid-cols-[minmax(0,1fr)_minmax(0,3fr)]">
        <UserSearch
          query={query}
          results={search}
          selectedId={selectedId}
          onSearch={(q) => (q === query ? search.reload() : setQuery(q))}
          onSelect={(id) => {
            focusDetailRef.current = true;
            select(id);
          }}
        />
        <div ref={detailRef} className="min-w-0 scroll-mt-32">
          {selectedId === null ? (
            <Panel title="No account selected" description="Choose a user from the list to see their balance, sessions and ledger.">
              <p className="text-sm text-slate-600">
                Grants and removals are written to the ledger with your id and reason; ending a session works like the user pressing Stop.
              </p>
            </Panel>
          ) : (
            <UserDetail state={account} headingRef={detailHeadingRef} onClose={() => select(null)} />
          )}
        </div>
      </div>
    </PageShell>
  );
}
