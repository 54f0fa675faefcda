'use client';

import { useCallback, useEffect, useState } from 'react';

function readParam(name: string): string | null {
  return new URLSearchParams(window.location.search).get(name);
}

/**
 * One query-string value (`/admin?user=…`), read in an effect because the static export has no
 * server to read it. Setting it pushes a history entry; Back and Forward update it.
 */
export function useQueryParam(name: string): [string | null, (value: string | null) => void] {
  const [value, setValue] = useState<string | null>(null);

  useEffect(() => {
    const sync = () => setValue(readParam(name));
    sync();
    window.addEventListener('popstate', sync);
    return () => window.removeEventListener('popstate', sync);
  }, [name]);

  const update = useCallback(
    (next: string | null) => {
      const url = new URL(window.location.href);
      if (next === null) url.searchParams.delete(name);
      else url.searchParams.set(name, next);
      if (url.href !== window.location.href) window.history.pushState(null, '', url);
      setValue(next);
    },
    [name],
  );

  return [value, update];
}
