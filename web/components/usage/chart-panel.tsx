import type { ReactNode } from 'react';
import { Panel } from '../panel';

export interface ChartPanelProps {
  title: string;
  /** One sentence that says what the chart shows, for everyone (and what a screen reader reads). */
  summary: string;
  /** The numbers behind the chart, for screen readers: label → value(s). */
  table: { caption: string; headers: string[]; rows: (string | number)[][] };
  children: ReactNode;
  testId?: string;
  /** Said over the chart when it has nothing to show. */
  empty?: string | null;
}

/** A chart in a card: a visible one-line summary, the chart, and its data as a hidden table. */
export function ChartPanel({ title, summary, table, children, testId, empty }: ChartPanelProps) {
  return (
    <Panel title={title} description={summary} testId={testId}>
      <figure className="m-0">
        <div className="relative min-h-60 overflow-hidden">
          {children}
          {empty ? (
            <div className="pointer-events-none absolute inset-0 flex items-center justify-center pb-6" aria-hidden="true">
              <p className="rounded-full border border-slate-200 bg-white/90 px-4 py-2 text-sm font-medium text-slate-600 shadow-sm">{empty}</p>
            </div>
          ) : null}
        </div>
        <figcaption className="sr-only">{summary}</figcaption>
      </figure>
      <div className="sr-only">
      <table>
        <caption>{table.caption}</caption>
        <thead>
          <tr>
            {table.headers.map((header) => (
              <th key={header} scope="col">
                {header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row) => (
            <tr key={String(row[0])}>
              {row.map((cell, i) => (i === 0 ? <th key={i} scope="row">{cell}</th> : <td key={i}>{cell}</td>))}
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </Panel>
  );
}

export function ChartSkeleton() {
  return <div className="h-60 animate-pulse rounded-xl bg-slate-100" />;
}
