function Block({ className }: { className: string }) {
  return <div className={`animate-pulse rounded-lg bg-slate-200/70 ${className}`} />;
}

/** Placeholder cards in the dashboard's own grid while the first status loads. */
export function DashboardSkeleton() {
  return (
    <div className="grid grid-cols-1 gap-4 md:grid-cols-2 lg:grid-cols-3 lg:gap-6 wide:grid-cols-4" aria-hidden="true">
      <div className="rounded-2xl border border-slate-200 bg-white p-8 md:col-span-2 wide:row-span-2">
        <Block className="h-4 w-24" />
        <Block className="mx-auto mt-12 h-16 w-64 max-w-full" />
        <Block className="mx-auto mt-12 h-12 w-56 max-w-full" />
      </div>
      {[0, 1, 2, 3].map((key) => (
        <div key={key} className="rounded-2xl border border-slate-200 bg-white p-6">
          <Block className="h-4 w-24" />
          <Block className="mt-5 h-9 w-28" />
          <Block className="mt-4 h-4 w-40 max-w-full" />
        </div>
      ))}
    </div>
  );
}
