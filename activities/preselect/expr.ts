// Cut expressions compiled into a loop over typed-array columns. The sweep language
// (definitions/cuts.ts) parses, checks and translates the expression; only that checked
// translation (column slots, re-printed numbers, whitelisted operators and Math functions)
// reaches the JavaScript compiler here.
import { translateCut, type ColumnCatalog } from '../../definitions/cuts.js';
import type { NumericColumn } from '../lib/parquet.js';

/** Filters row indices in place: keeps those where the expression holds; returns how many. */
export type RowFilter = (columns: NumericColumn[], rows: Int32Array, count: number) => number;

export interface CompiledExpression {
  /** Column names in the order the filter expects them. */
  columns: string[];
  filter: RowFilter;
}

/** Parses, checks and compiles `text`; `where` names the place for messages. */
export function compileExpression(text: string, catalog: ColumnCatalog, where: string): CompiledExpression {
  const { columns, body } = translateCut(text, catalog, where);
  const slots = columns.map((_, k) => `const c${k} = columns[${k}];`).join('\n');
  const source = `${slots}
let kept = 0;
for (let j = 0; j < count; j++) {
  const i = rows[j];
  if (${body}) rows[kept++] = i;
}
return kept;`;
  return { columns, filter: new Function('columns', 'rows', 'count', source) as RowFilter };
}
