import type { ReactNode } from 'react';
import { Button } from './button';

export interface Column<T> {
  key: string;
  header: string;
  cell(row: T): ReactNode;
  align?: 'left' | 'right';
  /** Keep the cell on one line in the wide table (times, amounts). */
  nowrap?: boolean;
  /** Shown as the title line of each row's card on phones (instead of as a labelled field). */
  primary?: boolean;
  /** Left out of the phone cards (a detail that only fits a wide table). */
  wideOnly?: boolean;
}

export interface DataTableProps<T> {
  /** Names the table for screen readers. */
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey(row: T): string;
  testId?: string;
  /** A row's emphasis (e.g. the running session). */
  highlight?(row: T): boolean;
}

/**
 * A table on screens ≥ 768 px and a list of small cards below that, so a phone never scrolls
 * sideways. Only one of the two is displayed (the other is `display: none`, hidden from
 * assistive technology too).
 */
export function DataTable<T>({ caption, columns, rows, rowKey, testId, highlight }: DataTableProps<T>) {
  const primary = columns.find((column) => column.primary) ?? columns[0];
  const fields = columns.filter((column) => column !== primary && !column.wideOnly);
  return (
    <div data-testid={testId}>
      <table className="hidden w-full border-collapse text-left text-sm md:table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr className="border-b border-slate-200">
            {columns.map((column) => (
              <th
                key={column.key}
                scope="col"
                className={`py-2.5 pr-4 text-xs font-semibold tracking-wide text-slate-600 uppercase last:pr-0 ${column.align === 'right' ? 'text-right' : ''}`}
              >
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.map((row) => (
            <tr key={rowKey(row)} data-row={rowKey(row)} className={highlight?.(row) ? 'bg-indigo-50/50' : 'hover:bg-slate-50/70'}>
              {columns.map((column) => (
                <td
                  key={column.key}
                  className={`py-3 pr-4 align-top text-slate-800 last:pr-0 ${column.align === 'right' ? 'text-right tabular-nums' : ''} ${column.nowrap ? 'whitespace-nowrap' : ''}`}
                >
                  {column.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <ul className="divide-y divide-slate-100 border-t border-slate-100 md:hidden" aria-label={caption}>
        {rows.map((row) => (
          <li key={rowKey(row)} data-row={rowKey(row)} className={`py-3.5 ${highlight?.(row) ? '-mx-2 rounded-lg bg-indigo-50/60 px-2' : ''}`}>
            {primary ? <div className="text-sm font-medium text-slate-900">{primary.cell(row)}</div> : null}
            <dl className="mt-2 grid grid-cols-2 gap-x-4 gap-y-2 text-sm">
              {fields.map((column) => (
                <div key={column.key} className="min-w-0">
                  <dt className="text-xs text-slate-600">{column.header}</dt>
                  <dd className="mt-0.5 break-words text-slate-800 tabular-nums">{column.cell(row)}</dd>
                </div>
              ))}
            </dl>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The end of a paged list: "Load more", or a line saying everything is shown. */
export function LoadMore({
  hasMore,
  loading,
  count,
  noun,
  onLoadMore,
}: {
  hasMore: boolean;
  loading: boolean;
  count: number;
  /** Plural and singular, e.g. `['sessions', 'session']`. */
  noun: readonly [string, string];
  onLoadMore(): void;
}) {
  const word = count === 1 ? noun[1] : noun[0];
  return (
    <div className="mt-4 flex flex-col items-center gap-2 border-t border-slate-100 pt-4 sm:flex-row sm:justify-between">
      <p className="text-sm text-slate-600" role="status">
        {hasMore ? `${count} ${word} shown; there are more.` : count === 1 ? `1 ${word} shown.` : `All ${count} ${word} shown.`}
      </p>
      {hasMore ? (
        <Button variant="secondary" onClick={onLoadMore} pending={loading} pendingLabel="Loading…" className="w-full sm:w-auto">
          Load more {noun[0]}
        </Button>
      ) : null}
    </div>
  );
}
