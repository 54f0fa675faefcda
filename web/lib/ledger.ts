import { creditsWord } from './format';
import type { LedgerReason, WireLedgerEntry } from './wire';

const reasonLabels: Record<LedgerReason, string> = {
  signup_grant: 'Welcome credits',
  session_charge: 'Session charge',
  top_up: 'Credit purchase',
  adjustment: 'Adjustment by support',
};

/** What a ledger row was, for people: `Credit purchase · Standard pack`. */
export function describeLedgerEntry(entry: Pick<WireLedgerEntry, 'reason' | 'pack'>, packNames: ReadonlyMap<string, string> = new Map()): string {
  const label = reasonLabels[entry.reason] ?? entry.reason;
  if (entry.reason === 'top_up' && entry.pack) {
    const name = packNames.get(entry.pack) ?? `${entry.pack.charAt(0).toUpperCase()}${entry.pack.slice(1)}`;
    return `${label} · ${name} pack`;
  }
  return label;
}

/** The change of balance a row made: positive adds, negative takes (the API's sign flipped). */
export function ledgerChange(entry: Pick<WireLedgerEntry, 'creditsDeducted'>): number {
  return -entry.creditsDeducted;
}

export function describeChange(entry: Pick<WireLedgerEntry, 'creditsDeducted'>): string {
  const change = ledgerChange(entry);
  return change >= 0 ? `${creditsWord(change)} added` : `${creditsWord(-change)} taken`;
}
