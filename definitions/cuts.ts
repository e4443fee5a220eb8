// The cut language: expressions over ntuple columns, parsed with jsep and checked against a
// closed whitelist (operators, Math functions as the own entries of a Map,
// numeric columns of the sample). The checked tree is translated into a JavaScript
// expression over column slots; no text the user wrote ever reaches the JavaScript compiler.
// `sweep validate` runs this on every cut against the columns each sample will have; the
// preselection runs the same translation and compiles the loop around it.
import jsep from 'jsep';
import { UserError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import type { CutSpec } from './spec.js';

/** Longer expressions are refused before parsing (a runaway generated cut, or an attack on the parser). */
export const MAX_CUT_LENGTH = 10_000;
/** Deeper nesting is refused (the translation recurses once per level). */
const MAX_DEPTH = 200;

const BINARY = new Set(['||', '&&', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/']);
const UNARY = new Set(['-', '!']);
/** Allowed functions, name -> [min args, max args]; a Map, so only these names pass (nothing inherited). */
const FUNCTIONS = new Map<string, [number, number]>([
  ['abs', [1, 1]],
  ['sqrt', [1, 1]],
  ['cos', [1, 1]],
  ['sin', [1, 1]],
  ['exp', [1, 1]],
  ['log', [1, 1]],
  ['pow', [2, 2]],
  ['min', [2, Infinity]],
  ['max', [2, Infinity]],
]);
const ALLOWED = `numbers, column names, && || ! == != < <= > >= + - * / ( ), and ${[...FUNCTIONS.keys()].join(' ')}`;

/** forEach cuts become one cut: the expression per prefix, parenthesised and ANDed. */
export function expandCut(cut: CutSpec): { name: string; expr: string } {
  if (!cut.forEach) return { name: cut.name, expr: cut.expr };
  return { name: cut.name, expr: cut.forEach.map((p) => `(${cut.expr.replaceAll('{p}', p)})`).join(' && ') };
}

/** What an expression may refer to: every column of the ntuple, whether it is numeric, and if not readable why. */
export type ColumnCatalog = ReadonlyMap<string, { numeric: boolean; unreadable?: string }>;

export interface TranslatedCut {
  /** Column names in slot order: slot k is read as `c<k>[i]`. */
  columns: string[];
  /** A JavaScript boolean expression over `c<k>[i]` and `Math`. */
  body: string;
}

/**
 * Parses, checks and translates `text`. `where` names the place for messages (e.g.
 * "sample tautau, preselection cut 'goodTracks'"); every problem is a UserError with a
 * caret under its position.
 */
export function translateCut(text: string, catalog: ColumnCatalog, where: string): TranslatedCut {
  const tree = parse(text, where);
  const columns: string[] = [];
  return { columns, body: emit(tree, { text, catalog, where, columns }, 0) };
}

/** The names an expression uses as columns, in order of first use (function names aside); syntax errors as translateCut gives them. */
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
  if (text.length > MAX_CUT_LENGTH) {
    throw new UserError(`${where}: the expression has ${text.length} characters, more than ${MAX_CUT_LENGTH}; split it into several cuts.`);
  }
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

interface Walk {
  text: string;
  catalog: ColumnCatalog;
  where: string;
  columns: string[];
}

function fail(walk: Walk, token: string, message: string): never {
  throw new UserError(`${walk.where}: ${message}\n${caret(walk.text, positionOf(walk.text, token))}`);
}

function emit(node: jsep.Expression, walk: Walk, depth: number): string {
  if (depth > MAX_DEPTH) fail(walk, '', `the expression nests deeper than ${MAX_DEPTH} levels; split it into several cuts`);
  const recurse = (child: jsep.Expression) => emit(child, walk, depth + 1);
  switch (node.type) {
    case 'Literal': {
      const value = (node as jsep.Literal).value;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        fail(walk, String((node as jsep.Literal).raw), `only numbers may appear as constants, not ${(node as jsep.Literal).raw}`);
      }
      return `(${String(value)})`;
    }
    case 'Identifier': {
      const name = (node as jsep.Identifier).name;
      const column = walk.catalog.get(name);
      if (!column) {
        const hint = FUNCTIONS.has(name) ? `; ${name} is a function, call it as ${name}(...)` : didYouMean(name, [...walk.catalog.keys()]);
        fail(walk, name, `unknown column '${name}'${hint}. Available columns: ${[...walk.catalog.keys()].join(', ')}`);
      }
      if (!column.numeric) fail(walk, name, column.unreadable ?? `column '${name}' holds text, but cuts compute with numbers`);
      let slot = walk.columns.indexOf(name);
      if (slot < 0) slot = walk.columns.push(name) - 1;
      return `c${slot}[i]`;
    }
    case 'UnaryExpression': {
      const { operator, argument } = node as jsep.UnaryExpression;
      if (!UNARY.has(operator)) fail(walk, operator, `operator '${operator}' is not allowed; use ${ALLOWED}`);
      return `(${operator}${recurse(argument)})`;
    }
    case 'BinaryExpression': {
      const { operator, left, right } = node as jsep.BinaryExpression;
      if (!BINARY.has(operator)) fail(walk, operator, `operator '${operator}' is not allowed; use ${ALLOWED}`);
      const l = recurse(left);
      const r = recurse(right);
      // Compare numerically, so that (a > 1) == 1 holds as it reads.
      if (operator === '==' || operator === '!=') return `(+${l} ${operator}= +${r})`;
      return `(${l} ${operator} ${r})`;
    }
    case 'CallExpression': {
      const call = node as jsep.CallExpression;
      const name = call.callee.type === 'Identifier' ? (call.callee as jsep.Identifier).name : '';
      const arity = FUNCTIONS.get(name);
      if (!arity) fail(walk, name || '(', `'${name || 'this call'}' is not an allowed function; use ${[...FUNCTIONS.keys()].join(' ')}`);
      const n = call.arguments.length;
      if (n < arity[0] || n > arity[1]) {
        const expected = arity[0] === arity[1] ? `${arity[0]}` : `at least ${arity[0]}`;
        fail(walk, name, `${name}() takes ${expected} argument${arity[0] === 1 ? '' : 's'}, got ${n}`);
      }
      return `Math.${name}(${call.arguments.map(recurse).join(', ')})`;
    }
    case 'Compound':
      return fail(walk, ' ', 'one expression expected; join conditions with && or ||');
    default:
      return fail(walk, '', `${describe(node.type)} is not allowed; use ${ALLOWED}`);
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
