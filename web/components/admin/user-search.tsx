import { type FormEvent, useRef } from 'react';
import type { PagedList } from '@/hooks/use-paged-list';
import { creditsWord } from '@/lib/format';
import type { AdminUserSummary } from '@/lib/wire';
import { Button } from '../button';
import { LoadMore } from '../data-table';
import { Notice } from '../notice';
import { Panel } from '../panel';
import { AdminBadge } from './admin-tabs';

export interface UserSearchProps {
  query: string;
  results: PagedList<AdminUserSummary>;
  selectedId: string | null;
  onSearch(query: string): void;
  onSelect(id: string): void;
}

/** Find users by part of their email or their id, and pick one. */
export function UserSearch({ query, results, selectedId, onSearch, onSelect }: UserSearchProps) {
  const inputRef = useRef<HTMLInputElement>(null);
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    onSearch((inputRef.current?.value ?? '').trim());
  }
  return (
    <Panel title="Find a user" description="Part of an email address, or a whole user id." testId="user-search">
      <form role="search" aria-label="Users" onSubmit={submit} className="flex flex-col gap-2 sm:flex-row sm:items-end">
        <div className="min-w-0 flex-1">
          <label htmlFor="user-search-q" className="block text-sm font-medium text-slate-800">
            Email or user id
          </label>
          <input
            ref={inputRef}
            id="user-search-q"
            name="q"
            type="search"
            defaultValue={query}
            autoComplete="off"
            spellCheck={false}
            autoCapitalize="none"
            placeholder="e.g. jane@"
            className="mt-1.5 block min-h-11 w-full rounded-xl border border-slate-300 bg-white px-3.5 py-2.5 text-base text-slate-900 shadow-sm placeholder:text-slate-500 hover:border-slate-400 focus-visible:outline-3 focus-visible:outline-offset-0 focus-visible:outline-indigo-600"
          />
        </div>
        <Button type="submit" pending={results.loading && !results.loadingMore} pendingLabel="Searching…">
          Search
        </Button>
      </form>

      <div className="mt-4">
        {results.error ? <Notice tone="error">{results.error}</Notice> : null}
        {results.loading ? (
          <div className="space-y-2" aria-hidden="true">
            {[0, 1, 2].map((key) => (
              <div key={key} className="h-14 animate-pulse rounded-xl bg-slate-100" />
            ))}
          </div>
        ) : results.items.length === 0 && !results.error ? (
          <p className="rounded-xl border border-dashed border-slate-300 px-4 py-6 text-center text-sm text-slate-600" role="status">
            {query ? `No user matches “${query}”.` : 'No users yet.'}
          </p>
        ) : (
          <>
            <ul className="-mx-2 space-y-1" aria-label="Matching users" data-testid="user-results">
              {results.items.map((user) => {
                const selected = user.id === selectedId;
                return (
                  <li key={user.id}>
                    <button
                      type="button"
                      onClick={() => onSelect(user.id)}
                      aria-current={selected ? 'true' : undefined}
                      className={`flex min-h-11 w-full cursor-pointer flex-col items-start gap-1 rounded-xl px-3 py-2.5 text-left transition-colors ${selected ? 'bg-indigo-50 ring-1 ring-indigo-200 ring-inset' : 'hover:bg-slate-50'}`}
                    >
                      <span className="block w-full truncate text-sm font-semibold text-slate-900">{user.email}</span>
                      <span className="flex flex-wrap items-center gap-1.5 text-xs text-slate-600">
                        <span className="tabular-nums">{creditsWord(user.credits)}</span>
                        {user.hasActiveSession ? <AdminBadge tone="emerald">Live session</AdminBadge> : null}
                        {user.isAdmin ? <AdminBadge tone="indigo">Admin</AdminBadge> : null}
                      </span>
                    </button>
                  </li>
                );
              })}
            </ul>
            <LoadMore hasMore={results.hasMore} loading={results.loadingMore} count={results.items.length} noun={['users', 'user']} onLoadMore={results.loadMore} />
          </>
        )}
      </div>
    </Panel>
  );
}
