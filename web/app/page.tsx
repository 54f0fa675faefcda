'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { BrandMark } from '@/components/brand';
import { Spinner } from '@/components/spinner';
import { readToken } from '@/lib/auth-store';

/** `/`: signed-in visitors go to the dashboard, everyone else to sign in. */
export default function HomePage() {
  const router = useRouter();
  useEffect(() => {
    router.replace(readToken() === null ? '/login' : '/dashboard');
  }, [router]);
  return (
    <main id="main" className="flex min-h-dvh flex-col items-center justify-center gap-4 px-4 text-slate-600">
      <BrandMark className="size-12" />
      <p className="inline-flex items-center gap-2 text-sm" role="status">
        <Spinner />
        Opening Minute Credits…
      </p>
    </main>
  );
}
