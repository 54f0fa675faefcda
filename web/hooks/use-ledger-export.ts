'use client';

import { useCallback, useRef, useState } from 'react';
import { ApiError } from '@/lib/api';
import { fetchLedger } from '@/lib/api-credits';
import { readToken } from '@/lib/auth-store';
import { toCsv } from '@/lib/csv';
import { describeRequestError } from '@/lib/errors';
import { describeLedgerEntry, ledgerChange } from '@/lib/ledger';
import type { WireLedgerEntry } from '@/lib/wire';

export type ExportState =
  | { phase: 'idle' }
  | { phase: 'running'; rows: number }
  | { phase: 'done'; rows: number; fileName: string }
  | { phase: 'error'; message: string };

const PAGE_LIMIT = 100;
// Bounds the walk: 5,000 pages of 100 rows is far beyond any real ledger.
const MAX_PAGES = 5000;

export const ledgerCsvHeader = [
  'entry_id',
  'time_utc',
  'recorded_at_utc',
  'reason',
  'description',
  'credits_change',
  'balance_after',
  'session_id',
  'pack',
] as const;

export function ledgerCsv(entries: readonly WireLedgerEntry[]): string {
  return toCsv(
    ledgerCsvHeader,
    entries.map((entry) => [
      entry.id,
      entry.timestamp,
      entry.createdAt,
      entry.reason,
      describeLedgerEntry(entry),
      ledgerChange(entry),
      entry.remainingCredits,
      entry.sessionId,
      entry.pack,
    ]),
  );
}

function download(text: string, fileName: string): void {
  // A byte-order mark, so spreadsheet programs read the file as UTF-8.
  const blob = new Blob(['\uFEFF', text], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Walks every page of the ledger, newest first, and downloads it as one CSV file. */
export function useLedgerExport(onUnauthorized: () => void): { state: ExportState; run(): void } {
  const [state, setState] = useState<ExportState>({ phase: 'idle' });
  const runningRef = useRef(false);

  const run = useCallback(async () => {
    if (runningRef.current) return;
    const token = readToken();
    if (token === null) {
      onUnauthorized();
      return;
    }
    runningRef.current = true;
    setState({ phase: 'running', rows: 0 });
    try {
      const entries: WireLedgerEntry[] = [];
      const seen = new Set<string>();
      let cursor: string | null = null;
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const body = await fetchLedger(token, cursor, PAGE_LIMIT);
        for (const entry of body.items) {
          if (seen.has(entry.id)) continue;
          seen.add(entry.id);
          entries.push(entry);
        }
        setState({ phase: 'running', rows: entries.length });
        cursor = body.nextCursor;
        if (cursor === null) break;
      }
      const fileName = `minute-credits-ledger-${new Date().toISOString().slice(0, 10)}.csv`;
      download(ledgerCsv(entries), fileName);
      setState({ phase: 'done', rows: entries.length, fileName });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'unauthorized') onUnauthorized();
      else setState({ phase: 'error', message: describeRequestError(error, 'the CSV wasn’t made') });
    } finally {
      runningRef.current = false;
    }
  }, [onUnauthorized]);

  return { state, run: () => void run() };
}
