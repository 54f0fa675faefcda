'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '@/lib/api';
import { readToken } from '@/lib/auth-store';
import { describeRequestError, isForbidden } from '@/lib/errors';
import type { Page } from '@/lib/wire';

export interface PagedList<T> {
  items: T[];
  /** True until the first page arrives (or fails). */
  loading: boolean;
  loadingMore: boolean;
  error: string | null;
  /** The API answered 403: the list is not for this user. */
  forbidden: boolean;
  hasMore: boolean;
  loadMore(): void;
  /** Starts again from the newest page. */
  reload(): void;
}

/**
 * A newest-first list paged by cursor: the first page on mount, the next one on `loadMore()`.
 * `fetchPage` must be stable (module-level or memoised). Rows already shown are not repeated.
 */
export function usePagedList<T extends { id: string }>(
  fetchPage: (token: string, cursor: string | null) => Promise<Page<T>>,
  options: { onUnauthorized(): void; what: string; enabled?: boolean },
): PagedList<T> {
  const { onUnauthorized, what, enabled = true } = options;
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [forbidden, setForbidden] = useState(false);
  const [version, setVersion] = useState(0);
  const busyRef = useRef(false);
  const generationRef = useRef(0);
  const unauthorizedRef = useRef(onUnauthorized);
  const shownSourceRef = useRef<typeof fetchPage | null>(null);

  useEffect(() => {
    unauthorizedRef.current = onUnauthorized;
  });

  const fail = useCallback(
    (failure: unknown) => {
      if (failure instanceof ApiError && failure.code === 'unauthorized') unauthorizedRef.current();
      else if (isForbidden(failure)) setForbidden(true);
      else setError(describeRequestError(failure, what));
    },
    [what],
  );

  /**
   * Fetches the page after `from` (null: the first page) for the request `generation`: a newer
   * request (a reload, an unmount) makes the answer of this one land nowhere.
   */
  const fetchInto = useCallback(
    (token: string, from: string | null, generation: number, apply: (page: Page<T>) => void, settled: () => void): void => {
      fetchPage(token, from)
        .then(
          (page) => {
            if (generation !== generationRef.current) return;
            apply(page);
            setCursor(page.nextCursor);
            setHasMore(page.nextCursor !== null);
          },
          (failure: unknown) => {
            if (generation === generationRef.current) fail(failure);
          },
        )
        .finally(() => {
          if (generation !== generationRef.current) return;
          busyRef.current = false;
          settled();
        });
    },
    [fetchPage, fail],
  );

  useEffect(() => {
    if (!enabled) return;
    const token = readToken();
    if (token === null) return;
    const generation = ++generationRef.current;
    busyRef.current = true;
    // A reload of the same list keeps showing it until the new first page arrives.
    if (shownSourceRef.current !== fetchPage) setLoading(true);
    setError(null);
    fetchInto(
      token,
      null,
      generation,
      (page) => {
        shownSourceRef.current = fetchPage;
        setItems(page.items);
      },
      () => setLoading(false),
    );
    return () => {
      generationRef.current += 1;
      busyRef.current = false;
    };
  }, [fetchPage, fetchInto, version, enabled]);

  const loadMore = useCallback(() => {
    if (busyRef.current || cursor === null) return;
    const token = readToken();
    if (token === null) {
      unauthorizedRef.current();
      return;
    }
    const generation = generationRef.current;
    busyRef.current = true;
    setLoadingMore(true);
    setError(null);
    fetchInto(
      token,
      cursor,
      generation,
      (page) =>
        setItems((shown) => {
          const seen = new Set(shown.map((item) => item.id));
          return [...shown, ...page.items.filter((item) => !seen.has(item.id))];
        }),
      () => setLoadingMore(false),
    );
  }, [cursor, fetchInto]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);

  return { items, loading, loadingMore, error, forbidden, hasMore, loadMore, reload };
}
