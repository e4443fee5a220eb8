// The report page: plain HTML with relative links to img/, so it opens from disk with no server.
import type { Cell } from '../lib/csv.js';

export interface Figure {
  /** File name under img/. */
  file: string;
  caption: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function figureHtml(figure: Figure): string {
  const src = `img/${encodeURIComponent(figure.file)}`;
  return `<figure><a href="${src}"><img src="${src}" alt="${escapeHtml(figure.caption)}" loading="lazy"></a><figcaption>${escapeHtml(figure.caption)}</figcaption></figure>`;
}

export function tableHtml(header: string[], rows: Cell[][]): string {
  const cell = (value: Cell) => {
    if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) return '<td class="empty">–</td>';
    if (typeof value === 'number') return `<td class="num">${formatNumber(value)}</td>`;
    return `<td>${escapeHtml(value)}</td>`;
  };
  return (
    `<table><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('')}</tbody></table>`
  );
}

/** Four significant digits: enough to compare models, short enough to read. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6 ? String(Number(value.toPrecision(4))) : value.toExponential(3);
}

export function pageHtml(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2em auto; max-width: 1250px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { margin-top: 1.5em; }
figure { display: inline-block; margin: 0.5em 1em 1em 0; vertical-align: top; }
figure img { max-width: 100%; width: auto; max-height: 720px; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; max-width: 700px; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; } th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } td.empty { color: #aaa; text-align: center; }
details { margin: 0.4em 0; } summary { cursor: pointer; font-weight: bold; }
.note { color: #8a4b00; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}
