import { BrandMark } from './brand';

/**
 * The "this page doesn't exist" screen: the 404 page, and what a non-admin sees of /admin.
 * A plain link, not next/link: the root layout renders this (as its not-found), and next/link
 * here made every page load an extra chunk holding a second copy of next/link.
 */
export function NotFoundView() {
  return (
    <main id="main" data-testid="not-found" className="flex min-h-dvh flex-col items-center justify-center px-4 text-center">
      <BrandMark className="size-12" />
      <h1 className="mt-6 text-2xl font-semibold tracking-tight text-slate-900">This page doesn’t exist</h1>
      <p className="mt-2 text-slate-600">The link may be old, or the address mistyped.</p>
      <a
        href="/"
        className="mt-6 inline-flex min-h-11 items-center rounded-xl bg-indigo-600 px-5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-700"
      >
        Go to your dashboard
      </a>
    </main>
  );
}
