// Cut expressions: parsed once with jsep, checked against a whitelist, then compiled into a
// loop over typed-array columns. The compiled code is generated from the checked tree only
// (column slots, re-printed numbers, whitelisted operators and Math functions); no text the
// user wrote ever reaches the JavaScript compiler.
import jsep from 'jsep';
import { didYouMean } from '../../core/suggest.js';
import { UserError } from '../../core/errors.js';
import type { NumericColumn } from '../lib/parquet.js';

const BINARY = new Set(['||', '&&', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/']);
const UNARY = new Set(['-', '!']);
/** Allowed functions: name -> [min args, max args]. */
const FUNCTIONS: Record<string, [number, number]> = {
  abs: [1, 1],
  sqrt: [1, 1],
  cos: [1, 1],
  sin: [1, 1],
  exp: [1, 1],
  log: [1, 1],
  pow: [2, 2],
  min: [2, Infinity],
  max: [2, Infinity],
};
const ALLOWED = 'numbers, column names, && || ! == != < <= > >= + - * / ( ), and abs sqrt min max cos sin exp log pow';

/** Filters row indices in place: keeps those where the expression holds; returns how many. */
export type RowFilter = (columns: NumericColumn[], rows: Int32Array, count: number) => number;

export interface CompiledExpression {
  /** Column names in the order the filter expects them. */
  columns: string[];
  filter: RowFilter;
}

/** What the expression may refer to: every column of the ntuple, whether it is numeric, and if not readable why. */
export type ColumnCatalog = ReadonlyMap<string, { numeric: boolean; unreadable?: string }>;

/**
 * Parses, checks and compiles `text`. `where` names the place for messages
 * (e.g. "preselection cut 'goodTracks'").
 */
export function compileExpression(text: string, catalog: ColumnCatalog, where: string): CompiledExpression {
  const tree = parse(text, where);
  const columns: string[] = [];
  const body = emit(tree, text, catalog, where, columns);
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

/** The columns an expression names, in order of first use (function names aside); syntax errors as compileExpression gives them. */
export function expressionColumns(text: string, where: string): string[] {
  const names = new Set<string>();
  const visit = (node: jsep.Expression): void => {
    if (node.type === 'Identifier') names.add((node as jsep.Identifier).name);
    else if (node.type === 'CallExpression') (node as jsep.CallExpression).arguments.forEach(visit);
    else if (node.type === 'UnaryExpression') visit((node as jsep.UnaryExpression).argument);
    else if (node.type === 'BinaryExpression') [(node as jsep.BinaryExpression).left, (node as jsep.BinaryExpression).right].forEach(visit);
  };
  visit(parse(text, where));
  return [...names];
}

function parse(text: string, where: string): jsep.Expression {
  if (text.trim() === '') throw new UserError(`${where}: the expression is empty; write a condition such as "missE > 0".`);
  try {
    return jsep(text);
  } catch (err) {
    const e = err as Error & { index?: number; description?: string };
    throw new UserError(`${where}: syntax error, ${e.description ?? e.message}\n${caret(text, e.index ?? text.length)}`);
  }
}

/** The expression with a caret under position `at`. */
export function caret(text: string, at: number): string {
  return `  ${text}\n  ${' '.repeat(Math.max(0, Math.min(at, text.length)))}^`;
}

/** Position of the first whole-word occurrence of `word` (for carets; jsep nodes carry none). */
function positionOf(text: string, word: string): number {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(/^\w/.test(word) ? `\\b${escaped}\\b` : escaped).exec(text);
  return match ? match.index : text.length;
}

function fail(where: string, text: string, token: string, message: string): never {
  throw new UserError(`${where}: ${message}\n${caret(text, positionOf(text, token))}`);
}

function emit(node: jsep.Expression, text: string, catalog: ColumnCatalog, where: string, columns: string[]): string {
  const recurse = (child: jsep.Expression) => emit(child, text, catalog, where, columns);
  switch (node.type) {
    case 'Literal': {
      const value = (node as jsep.Literal).value;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        fail(where, text, String((node as jsep.Literal).raw), `only numbers may appear as constants, not ${(node as jsep.Literal).raw}`);
      }
      return `(${String(value)})`;
    }
    case 'Identifier': {
      const name = (node as jsep.Identifier).name;
      const column = catalog.get(name);
      if (!column) {
        const hint = FUNCTIONS[name] ? `; ${name} is a function, call it as ${name}(...)` : didYouMean(name, [...catalog.keys()]);
        fail(where, text, name, `unknown column '${name}'${hint}. Available columns: ${[...catalog.keys()].join(', ')}`);
      }
      if (!column.numeric) fail(where, text, name, column.unreadable ?? `column '${name}' holds text, but cuts compute with numbers`);
      let slot = columns.indexOf(name);
      if (slot < 0) slot = columns.push(name) - 1;
      return `c${slot}[i]`;
    }
    case 'UnaryExpression': {
      const { operator, argument } = node as jsep.UnaryExpression;
      if (!UNARY.has(operator)) fail(where, text, operator, `operator '${operator}' is not allowed; use ${ALLOWED}`);
      return `(${operator}${recurse(argument)})`;
    }
    case 'BinaryExpression': {
      const { operator, left, right } = node as jsep.BinaryExpression;
      if (!BINARY.has(operator)) fail(where, text, operator, `operator '${operator}' is not allowed; use ${ALLOWED}`);
      const l = recurse(left);
      const r = recurse(right);
      // Compare numerically, so that (a > 1) == 1 holds as it reads.
      if (operator === '==' || operator === '!=') return `(+${l} ${operator}= +${r})`;
      return `(${l} ${operator} ${r})`;
    }
    case 'CallExpression': {
      const call = node as jsep.CallExpression;
      const name = call.callee.type === 'Identifier' ? (call.callee as jsep.Identifier).name : '';
      const arity = FUNCTIONS[name];
      if (!arity) {
        fail(where, text, name || '(', `'${name || 'this call'}' is not an allowed function; use abs sqrt min max cos sin exp log pow`);
      }
      const n = call.arguments.length;
      if (n < arity[0] || n > arity[1]) {
        const expected = arity[0] === arity[1] ? `${arity[0]}` : `at least ${arity[0]}`;
        fail(where, text, name, `${name}() takes ${expected} argument${arity[0] === 1 ? '' : 's'}, got ${n}`);
      }
      return `Math.${name}(${call.arguments.map(recurse).join(', ')})`;
    }
    case 'Compound':
      fail(where, text, ' ', 'one expression expected; join conditions with && or ||');
    // eslint-disable-next-line no-fallthrough
    default:
      fail(where, text, '', `${describe(node.type)} is not allowed; use ${ALLOWED}`);
  }
}

function describe(type: string): string {
  const names: Record<string, string> = {
    MemberExpression: 'property access (a.b, a[b])',
    ConditionalExpression: 'the ternary operator ?:',
    ArrayExpression: 'an array',
    ThisExpression: "'this'",
    SequenceExpression: 'a comma sequence',
  };
  return names[type] ?? `a ${type}`;
}
