'use client';

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '@/lib/api';
import { adminAdjustCredits, adminEndSession, adminFetchSystem, adminFetchUser, adminSearchUsers } from '@/lib/api-admin';
import { readToken } from '@/lib/auth-store';
import { describeRequestError, isForbidden } from '@/lib/errors';
import { creditsWord } from '@/lib/format';
import type { AdminCreditsResponse, AdminSystemResponse, AdminUserResponse, AdminUserSummary, Page, SessionResponse } from '@/lib/wire';
import { type PagedList, usePagedList } from './use-paged-list';

// The admin console's data. Every hook here is told whether the signed-in user is an admin
// (`enabled`) and calls nothing otherwise; a 403 from the API sets `forbidden`, and the page
// then shows nothing, as for a page that doesn't exist.

export function useAdminUserSearch(query: string, options: { enabled: boolean; onUnauthorized(): void }): PagedList<AdminUserSummary> {
  const fetchPage = useCallback(
    (token: string, cursor: string | null): Promise<Page<AdminUserSummary>> => adminSearchUsers(token, query, cursor, 20),
    [query],
  );
  return usePagedList(fetchPage, { ...options, what: 'the users didn’t load' });
}

export type AdminActionResult = { tone: 'success' | 'error' | 'info'; message: string };

export interface AdminUserDetail {
  detail: AdminUserResponse | null;
  loading: boolean;
  error: string | null;
  notFound: boolean;
  forbidden: boolean;
  pending: 'adjust' | 'end' | null;
  adjustResult: AdminActionResult | null;
  endResult: AdminActionResult | null;
  refresh(): void;
  /** Resolves true when the change was made (the form can then clear itself). */
  adjust(delta: number, reason: string): Promise<boolean>;
  endSession(): Promise<boolean>;
  clearResults(): void;
}

/** What an admin action reports, and the account as its answer left it. */
interface ActionAnswer {
  result: AdminActionResult;
  now: SessionResponse | AdminCreditsResponse;
}

/** One user's account as an admin sees it, and the admin actions on it. */
export function useAdminUser(
  userId: string | null,
  options: { enabled: boolean; onUnauthorized(): void; /** After an action changed the account. */ onChanged?(): void },
): AdminUserDetail {
  const { enabled } = options;
  const [detail, setDetail] = useState<AdminUserResponse | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [forbidden, setForbidden] = useState(false);
  const [pending, setPending] = useState<'adjust' | 'end' | null>(null);
  const [adjustResult, setAdjustResult] = useState<AdminActionResult | null>(null);
  const [endResult, setEndResult] = useState<AdminActionResult | null>(null);
  const [version, setVersion] = useState(0);
  const pendingRef = useRef(false);
  const unauthorizedRef = useRef(options.onUnauthorized);
  const changedRef = useRef(options.onChanged);

  useEffect(() => {
    unauthorizedRef.current = options.onUnauthorized;
    changedRef.current = options.onChanged;
  });

  useEffect(() => {
    setAdjustResult(null);
    setEndResult(null);
  }, [userId]);

  useEffect(() => {
    if (!enabled || userId === null) {
      setDetail(null);
      return;
    }
    const token = readToken();
    if (token === null) return;
    let cancelled = false;
    setLoading(true);
    setError(null);
    setNotFound(false);
    adminFetchUser(token, userId)
      .then(
        (body) => {
          if (!cancelled) setDetail(body);
        },
        (failure: unknown) => {
          if (cancelled) return;
          setDetail(null);
          if (failure instanceof ApiError && failure.code === 'unauthorized') unauthorizedRef.current();
          else if (isForbidden(failure)) setForbidden(true);
          else if (failure instanceof ApiError && (failure.code === 'not_found' || failure.code === 'invalid_input')) setNotFound(true);
          else setError(describeRequestError(failure, 'this account didn’t load'));
        },
      )
      .finally(() => {
        if (!cancelled) setLoading(false);
      });
    return () => {
      cancelled = true;
    };
  }, [enabled, userId, version]);

  const refresh = useCallback(() => setVersion((v) => v + 1), []);

  const act = useCallback(
    async (kind: 'adjust' | 'end', call: (token: string, id: string) => Promise<ActionAnswer>): Promise<boolean> => {
      if (pendingRef.current || userId === null) return false;
      const token = readToken();
      if (token === null) {
        unauthorizedRef.current();
        return false;
      }
      const report = kind === 'adjust' ? setAdjustResult : setEndResult;
      pendingRef.current = true;
      setPending(kind);
      report(null);
      try {
        const { result, now } = await call(token, userId);
        // Show what the answer says at once (no "End session…" left on an ended session); the
        // reload below fills in the rest.
        setDetail((d) => (d === null || d.user.id !== userId ? d : { ...d, session: now.session ?? d.session, user: { ...d.user, credits: now.user.credits } }));
        report(result);
        changedRef.current?.();
        return true;
      } catch (failure) {
        if (failure instanceof ApiError && failure.code === 'unauthorized') unauthorizedRef.current();
        else if (isForbidden(failure)) setForbidden(true);
        else if (failure instanceof ApiError && failure.code === 'no_active_session') {
          report({ tone: 'info', message: 'The session had already ended, so there was nothing to end.' });
        } else {
          report({
            tone: 'error',
            message: describeRequestError(failure, kind === 'adjust' ? 'the balance didn’t change' : 'the session wasn’t ended'),
          });
        }
        return false;
      } finally {
        pendingRef.current = false;
        setPending(null);
        setVersion((v) => v + 1); // show the account as it is now, whatever happened
      }
    },
    [userId],
  );

  const adjust = useCallback(
    (delta: number, reason: string) =>
      act('adjust', async (token, id) => {
        const now = await adminAdjustCredits(token, id, delta, reason);
        const verb = delta > 0 ? `Granted ${creditsWord(delta)}` : `Removed ${creditsWord(-delta)}`;
        return { result: { tone: 'success', message: `${verb}. The balance is now ${creditsWord(now.user.credits)}.` }, now };
      }),
    [act],
  );

  const endSession = useCallback(
    () =>
      act('end', async (token, id) => {
        const now = await adminEndSession(token, id);
        const message = `Session ended. It used ${creditsWord(now.session.creditsConsumed)}; the balance is ${creditsWord(now.user.credits)}.`;
        return { result: { tone: 'success', message }, now };
      }),
    [act],
  );

  const clearResults = useCallback(() => {
    setAdjustResult(null);
    setEndResult(null);
  }, []);

  return { detail, loading, error, notFound, forbidden, pending, adjustResult, endResult, refresh, adjust, endSession, clearResults };
}

export interface AdminSystem {
  data: AdminSystemResponse | null;
  error: string | null;
  forbidden: boolean;
  refreshing: boolean;
  /** When the shown numbers were read (local clock). */
  updatedAtMs: number | null;
  refresh(): void;
}

const SYSTEM_REFRESH_MS = 10_000;

/** The system view, re-read every 10 s while the tab is visible. */
export function useAdminSystem(options: { enabled: boolean; onUnauthorized(): void }): AdminSystem {
  const { enabled } = options;
  const [data, setData] = useState<AdminSystemResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [forbidden, setForbidden] = useState(false);
  const [refreshing, setRefreshing] = useState(false);
  const [updatedAtMs, setUpdatedAtMs] = useState<number | null>(null);
  const loadRef = useRef<() => void>(() => {});
  const unauthorizedRef = useRef(options.onUnauthorized);

  useEffect(() => {
    unauthorizedRef.current = options.onUnauthorized;
  });

  useEffect(() => {
    if (!enabled) return;
    let disposed = false;
    let busy = false;
    const load = () => {
      const token = readToken();
      if (token === null || busy || disposed) return;
      busy = true;
      setRefreshing(true);
      adminFetchSystem(token)
        .then(
          (body) => {
            if (disposed) return;
            setData(body);
            setError(null);
            setUpdatedAtMs(Date.now());
          },
          (failure: unknown) => {
            if (disposed) return;
            if (failure instanceof ApiError && failure.code === 'unauthorized') unauthorizedRef.current();
            else if (isForbidden(failure)) setForbidden(true);
            else setError(describeRequestError(failure, 'the system view didn’t refresh'));
          },
        )
        .finally(() => {
          busy = false;
          if (!disposed) setRefreshing(false);
        });
    };
    loadRef.current = load;
    load();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') load();
    }, SYSTEM_REFRESH_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') load();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      disposed = true;
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
      loadRef.current = () => {};
    };
  }, [enabled]);

  const refresh = useCallback(() => loadRef.current(), []);
  return useMemo(() => ({ data, error, forbidden, refreshing, updatedAtMs, refresh }), [data, error, forbidden, refreshing, updatedAtMs, refresh]);
}
