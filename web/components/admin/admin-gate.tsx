import { useEffect } from 'react';
import { BrandMark } from '../brand';
import { NotFoundView } from '../not-found-view';
import { Spinner } from '../spinner';

/** Until the account is known, a neutral "opening" screen that says nothing about admin pages. */
export function AdminOpening() {
  return (
    <main id="main" className="flex min-h-dvh flex-col items-center justify-center gap-4 px-4 text-slate-600">
      <BrandMark className="size-12" />
      <p className="inline-flex items-center gap-2 text-sm" role="status">
        <Spinner />
        Loading…
      </p>
    </main>
  );
}

/** What a non-admin sees of an admin page: the site's "page doesn't exist". */
export function AdminNotFound() {
  useEffect(() => {
    document.title = 'Page not found · Minute Credits';
  }, []);
  return <NotFoundView />;
}
