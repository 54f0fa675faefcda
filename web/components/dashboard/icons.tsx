// Small decorative icons for the dashboard cards (hidden from assistive technology).
import type { ReactNode } from 'react';

const base = { viewBox: '0 0 24 24', 'aria-hidden': true, focusable: false } as const;
const stroke = { fill: 'none', stroke: 'currentColor', strokeWidth: 1.8, strokeLinecap: 'round', strokeLinejoin: 'round' } as const;

function IconFrame({ children, tint }: { children: ReactNode; tint: string }) {
  return <span className={`inline-flex size-9 items-center justify-center rounded-xl ${tint}`}>{children}</span>;
}

export function WalletIcon() {
  return (
    <IconFrame tint="bg-indigo-50 text-indigo-700">
      <svg {...base} className="size-5">
        <path {...stroke} d="M3 7.5A2.5 2.5 0 0 1 5.5 5h12A1.5 1.5 0 0 1 19 6.5V8M3 7.5v10A2.5 2.5 0 0 0 5.5 20h13a1.5 1.5 0 0 0 1.5-1.5v-9A1.5 1.5 0 0 0 18.5 8H5.5A2.5 2.5 0 0 1 3 5.5" />
        <path {...stroke} d="M16 14h.01" />
      </svg>
    </IconFrame>
  );
}

export function HourglassIcon() {
  return (
    <IconFrame tint="bg-sky-50 text-sky-700">
      <svg {...base} className="size-5">
        <path {...stroke} d="M6 3h12M6 21h12M7 3v3a5 5 0 0 0 10 0V3M7 21v-3a5 5 0 0 1 10 0v3" />
      </svg>
    </IconFrame>
  );
}

export function CoinsIcon() {
  return (
    <IconFrame tint="bg-emerald-50 text-emerald-700">
      <svg {...base} className="size-5">
        <ellipse {...stroke} cx="9" cy="7" rx="6" ry="3" />
        <path {...stroke} d="M3 7v5c0 1.7 2.7 3 6 3s6-1.3 6-3V7M3 12v5c0 1.7 2.7 3 6 3 1.3 0 2.5-.2 3.5-.6M21 12c0 1.7-2.7 3-6 3" />
      </svg>
    </IconFrame>
  );
}

export function HistoryIcon() {
  return (
    <IconFrame tint="bg-slate-100 text-slate-700">
      <svg {...base} className="size-5">
        <path {...stroke} d="M3 12a9 9 0 1 0 3-6.7L3 8M3 3v5h5M12 7v5l3 2" />
      </svg>
    </IconFrame>
  );
}
