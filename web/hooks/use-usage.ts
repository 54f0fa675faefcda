'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '@/lib/api';
import { fetchUsage } from '@/lib/api-credits';
import { readToken } from '@/lib/auth-store';
import { describeRequestError } from '@/lib/errors';
import type { UsageResponse } from '@/lib/wire';

export interface Usage {
  data: UsageResponse | null;
  error: string | null;
  reload(): void;
}

/** Sessions and credits per UTC day for the last `days` days, oldest first. */
export function useUsage(days: number, onUnauthorized: () => void): Usage {
  const [data, setData] = useState<UsageResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const unauthorizedRef = useRef(onUnauthorized);

  useEffect(() => {
    unauthorizedRef.current = onUnauthorized;
  });

  useEffect(() => {
    const token = readToken();
    if (token === null) return;
    let cancelled = false;
    fetchUsage(token, days).then(
      (body) => {
        if (cancelled) return;
        setData(body);
        setError(null);
      },
      (failure: unknown) => {
        if (cancelled) return;
        if (failure instanceof ApiError && failure.code === 'unauthorized') unauthorizedRef.current();
        else setError(describeRequestError(failure, 'your usage didn’t load'));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [days, version]);

  const reload = useCallback(() => {
    setError(null);
    setVersion((v) => v + 1);
  }, []);

  return { data, error, reload };
}
