// CSV text for the tables a user opens in a spreadsheet (RFC 4180 quoting).

export type Cell = string | number | null | undefined;

/** Header plus rows; null/undefined/NaN become empty cells, text with , " or newlines is quoted. */
export function toCsv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\n') + '\n';
}

function cell(value: Cell): string {
  if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
