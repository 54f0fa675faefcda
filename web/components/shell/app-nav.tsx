import Link from 'next/link';

/** The section of the site a page belongs to (its navigation item's href). */
export type Section = '/dashboard' | '/credits' | '/usage' | '/admin';

const items: { href: Section; label: string }[] = [
  { href: '/dashboard', label: 'Dashboard' },
  { href: '/credits', label: 'Credits' },
  { href: '/usage', label: 'Usage' },
  { href: '/admin', label: 'Admin' },
];

const look = {
  // In the header row, ≥ 768 px.
  inline: {
    nav: 'hidden md:block',
    list: 'flex items-center gap-1',
    link: 'inline-flex min-h-10 items-center rounded-lg px-3 text-sm font-semibold transition-colors',
    current: 'bg-indigo-50 text-indigo-700',
    other: 'text-slate-600 hover:bg-slate-100 hover:text-slate-900',
  },
  // A full-width row of equal tabs under the header on phones, each at least 44 px tall.
  tabs: {
    nav: 'border-t border-slate-200 md:hidden',
    list: 'grid auto-cols-fr grid-flow-col',
    link: 'flex min-h-11 items-center justify-center border-b-2 px-1 text-[0.8125rem] font-semibold',
    current: 'border-indigo-600 text-indigo-700',
    other: 'border-transparent text-slate-600 hover:text-slate-900',
  },
};

/** The site's main navigation; the Admin item only for admins. */
export function AppNav({ isAdmin, variant, section }: { isAdmin: boolean; variant: keyof typeof look; section: Section }) {
  const style = look[variant];
  return (
    <nav aria-label="Main" className={style.nav}>
      <ul className={style.list}>
        {items
          .filter((item) => isAdmin || item.href !== '/admin')
          .map((item) => (
            <li key={item.href} className="min-w-0">
              <Link
                href={item.href}
                aria-current={section === item.href ? 'page' : undefined}
                className={`${style.link} ${section === item.href ? style.current : style.other}`}
              >
                {item.label}
              </Link>
            </li>
          ))}
      </ul>
    </nav>
  );
}
