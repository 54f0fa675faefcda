import Link from 'next/link';

const tabs = [
  { href: '/admin', label: 'Users' },
  { href: '/admin/system', label: 'System' },
];

/** Switches between the admin console's two pages. */
export function AdminTabs({ current }: { current: '/admin' | '/admin/system' }) {
  return (
    <nav aria-label="Admin" className="mt-5">
      <ul className="inline-flex rounded-xl border border-slate-200 bg-white p-1 shadow-sm">
        {tabs.map((tab) => {
          const selected = current === tab.href;
          return (
            <li key={tab.href}>
              <Link
                href={tab.href}
                aria-current={selected ? 'page' : undefined}
                className={`inline-flex min-h-10 items-center rounded-lg px-4 text-sm font-semibold max-md:min-h-11 ${selected ? 'bg-indigo-600 text-white shadow-sm' : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900'}`}
              >
                {tab.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

export function AdminBadge({ children, tone = 'slate' }: { children: React.ReactNode; tone?: 'slate' | 'indigo' | 'emerald' }) {
  const look = {
    slate: 'bg-slate-100 text-slate-700 ring-slate-200',
    indigo: 'bg-indigo-50 text-indigo-800 ring-indigo-200',
    emerald: 'bg-emerald-50 text-emerald-800 ring-emerald-200',
  }[tone];
  return <span className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-semibold whitespace-nowrap ring-1 ring-inset ${look}`}>{children}</span>;
}
