// RFC 4180 CSV: comma-separated, CRLF line ends, a field quoted when it holds a comma, quote,
// CR, LF or edge spaces, quotes doubled. Text that a spreadsheet would run as a formula
// (=, +, -, @, tab, CR at the start) gets a leading apostrophe; numbers are written as numbers.
export type CsvValue = string | number | null | undefined;

const formulaStart = /^[=+\-@\t\r]/;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = value;
  if (formulaStart.test(text)) text = `'${text}`;
  if (/[",\r\n]/.test(text) || text !== text.trim()) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
