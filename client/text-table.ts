// Plain-text tables for the terminal: columns padded to their widest cell.

export function formatTable(header: string[], rows: (string | number)[][], align: ('left' | 'right')[] = []): string {
  const cells = rows.map((row) => row.map(String));
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((r) => (r[c] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => (align[c] === 'right' ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
