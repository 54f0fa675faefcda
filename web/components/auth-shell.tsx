import type { ReactNode } from 'react';
import { Brand, BrandMark } from './brand';

const points = [
  { title: '100 credits to start', text: 'Every new account gets 100 credits: ten minutes of live session time.' },
  { title: 'Billed to the period', text: '10 credits a minute, one every 6 seconds. Stop whenever you like.' },
  { title: 'Live, everywhere', text: 'Your balance and clock update in real time, in every tab you have open.' },
];

/** The frame of the sign-in and sign-up pages: a product panel beside the form on wide screens. */
export function AuthShell({ children }: { children: ReactNode }) {
  return (
    <div className="grid min-h-dvh lg:grid-cols-[minmax(0,5fr)_minmax(0,6fr)]">
      <aside className="relative hidden overflow-hidden bg-indigo-700 px-10 py-12 text-white lg:flex lg:flex-col lg:justify-between wide:px-16">
        <div aria-hidden="true" className="pointer-events-none absolute -top-40 -right-40 size-[28rem] rounded-full bg-indigo-500/40 blur-3xl" />
        <div aria-hidden="true" className="pointer-events-none absolute -bottom-48 -left-24 size-[26rem] rounded-full bg-violet-500/30 blur-3xl" />
        <div className="relative flex items-center gap-2.5">
          <span className="rounded-lg bg-white/10 p-1">
            <BrandMark className="size-7" />
          </span>
          <span className="text-base font-semibold tracking-tight">Minute Credits</span>
        </div>
        <div className="relative max-w-md">
          <p className="text-3xl font-semibold tracking-tight text-balance wide:text-4xl">
            Pay for the minutes you use. Stop any second.
          </p>
          <ul className="mt-10 space-y-6">
            {points.map((point) => (
              <li key={point.title} className="flex gap-4">
                <svg viewBox="0 0 24 24" className="mt-0.5 size-6 shrink-0 text-indigo-200" aria-hidden="true" focusable="false">
                  <path d="m8.5 12.5 2.5 2.5 5-5.5M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
                </svg>
                <div>
                  <p className="font-semibold">{point.title}</p>
                  <p className="mt-1 text-sm leading-6 text-indigo-100">{point.text}</p>
                </div>
              </li>
            ))}
          </ul>
        </div>
        <p className="relative text-sm text-indigo-200">Prepaid. No subscription. Every credit on the ledger.</p>
      </aside>
      <main id="main" className="flex flex-col px-4 py-8 sm:px-8 md:py-12">
        <div className="mx-auto flex w-full max-w-md flex-1 flex-col justify-center">
          <Brand className="mb-8 lg:hidden" />
          {children}
        </div>
      </main>
    </div>
  );
}
