export function BrandMark({ className = 'size-8' }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" className="fill-indigo-600" />
      <circle cx="16" cy="17" r="9" fill="none" stroke="white" strokeWidth="2.5" />
      <path d="M16 12v5l3.5 2.5" fill="none" stroke="white" strokeWidth="2.5" strokeLinecap="round" strokeLinejoin="round" />
      <path d="M13 5h6" stroke="white" strokeWidth="2.5" strokeLinecap="round" />
    </svg>
  );
}

export function Brand({ className = '' }: { className?: string }) {
  return (
    <span className={`inline-flex items-center gap-2.5 ${className}`}>
      <BrandMark />
      <span className="text-base font-semibold tracking-tight text-slate-900">Minute Credits</span>
    </span>
  );
}
