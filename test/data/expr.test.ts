import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import type { NumericColumn } from '../../activities/lib/parquet.js';
import type { ColumnCatalog } from '../../definitions/cuts.js';
import { compileExpression } from '../../activities/preselect/expr.js';

const a = Float64Array.from([-3, -1, 0, 1, 2, 4]);
const b = Float64Array.from([2, 2, 2, 2, 2, 2]);
const c = Float64Array.from([0.5, 9, NaN, -2, 1, 3]);
const COLUMNS: Record<string, NumericColumn> = { a, b, c, hits: Int32Array.from([10, 21, 25, 30, 19, 40]) };
const CATALOG: ColumnCatalog = new Map<string, { numeric: boolean }>([
  ...Object.keys(COLUMNS).map((name): [string, { numeric: boolean }] => [name, { numeric: true }]),
  ['process', { numeric: false }],
]);

/** Rows (0..5) where `expr` holds. */
function rowsWhere(expr: string): number[] {
  const compiled = compileExpression(expr, CATALOG, 'test cut');
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5]);
  const kept = compiled.filter(
    compiled.columns.map((name) => COLUMNS[name]),
    rows,
    rows.length,
  );
  return Array.from(rows.subarray(0, kept));
}

/** The same rows, computed by the test with plain JavaScript. */
function expected(predicate: (i: number) => boolean): number[] {
  return [0, 1, 2, 3, 4, 5].filter(predicate);
}

function errorOf(expr: string): string {
  try {
    compileExpression(expr, CATALOG, 'cut x');
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error(`"${expr}" compiled`);
}

describe('cut expressions', () => {
  it('binds * before +, + before comparisons, comparisons before && before ||', () => {
    expect(rowsWhere('a + b * 2 > 5')).toEqual(expected((i) => a[i] + b[i] * 2 > 5));
    expect(rowsWhere('(a + b) * 2 > 5')).toEqual(expected((i) => (a[i] + b[i]) * 2 > 5));
    expect(rowsWhere('a > 0 || a < -2 && c > 1')).toEqual(expected((i) => a[i] > 0 || (a[i] < -2 && c[i] > 1)));
    expect(rowsWhere('(a > 0 || a < -2) && c > 1')).toEqual(expected((i) => (a[i] > 0 || a[i] < -2) && c[i] > 1));
    expect(rowsWhere('a - b - 1 < -3')).toEqual(expected((i) => a[i] - b[i] - 1 < -3));
    expect(rowsWhere('a / b / 2 >= 0.5')).toEqual(expected((i) => a[i] / b[i] / 2 >= 0.5));
  });

  it('evaluates unary minus and negation', () => {
    expect(rowsWhere('-a > 0')).toEqual([0, 1]);
    expect(rowsWhere('-a * -1 == a')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(rowsWhere('- -a >= 2')).toEqual([4, 5]);
    expect(rowsWhere('!(a > 0)')).toEqual([0, 1, 2]);
    expect(rowsWhere('!(a > 0 && a < 3)')).toEqual([0, 1, 2, 5]);
  });

  it('calls abs, sqrt, min, max, pow, exp, log, cos, sin', () => {
    expect(rowsWhere('abs(a) < 2')).toEqual(expected((i) => Math.abs(a[i]) < 2));
    expect(rowsWhere('sqrt(abs(a)) >= 1.4')).toEqual(expected((i) => Math.sqrt(Math.abs(a[i])) >= 1.4));
    expect(rowsWhere('min(a, c) > 0')).toEqual(expected((i) => Math.min(a[i], c[i]) > 0));
    expect(rowsWhere('max(a, c, -1) > 1.5')).toEqual(expected((i) => Math.max(a[i], c[i], -1) > 1.5));
    expect(rowsWhere('pow(a, 2) == 16')).toEqual([5]);
    expect(rowsWhere('log(exp(a)) > 0.5')).toEqual(expected((i) => a[i] > 0.5));
    expect(rowsWhere('cos(0) == 1 && sin(0) == 0 && a == 0')).toEqual([2]);
  });

  it('never keeps a row whose comparison involves NaN', () => {
    expect(rowsWhere('c > -100')).toEqual([0, 1, 3, 4, 5]);
    expect(rowsWhere('!(c > -100)')).toEqual([2]);
  });

  it('compares booleans numerically and reads integer columns', () => {
    expect(rowsWhere('(a > 0) == 1')).toEqual([3, 4, 5]);
    expect(rowsWhere('(a > 0) + (hits > 20) == 2')).toEqual([3, 5]);
    expect(rowsWhere('hits > 20 && abs(a) < 2')).toEqual([1, 2, 3]);
  });

  it('lists each referenced column once, in order of appearance', () => {
    expect(compileExpression('c > 0 && a < c && hits > a', CATALOG, 'x').columns).toEqual(['c', 'a', 'hits']);
  });

  it('shows a syntax error with a caret under the position', () => {
    const message = errorOf('a > 0 && (b < 1');
    expect(message).toContain('cut x: syntax error');
    expect(message).toContain('\n  a > 0 && (b < 1\n');
    expect(message.split('\n').at(-1)).toBe(`  ${' '.repeat(15)}^`);
    const dangling = errorOf('a >');
    expect(dangling).toMatch(/Expected expression after >/);
    expect(dangling.split('\n').at(-1)).toBe(`  ${' '.repeat(3)}^`);
  });

  it('names an unknown column, suggests the closest and lists the available ones', () => {
    const message = errorOf('a > 0 && hitz > 20');
    expect(message).toContain("unknown column 'hitz'");
    expect(message).toContain('did you mean "hits"?');
    expect(message).toContain('Available columns: a, b, c, hits, process');
    expect(message.split('\n').at(-1)).toBe(`  ${' '.repeat(9)}^`);
  });

  it('refuses a text column in a numeric cut, naming it', () => {
    const message = errorOf('process > 1');
    expect(message).toContain("column 'process' holds text");
    expect(message.split('\n').at(-1)).toBe('  ^');
  });

  it('refuses operators, functions and constructs outside the whitelist', () => {
    expect(errorOf('a % 2 == 0')).toContain("operator '%' is not allowed");
    expect(errorOf('a ** 2 > 1')).toContain("operator '**' is not allowed");
    expect(errorOf('~a > 1')).toContain("operator '~' is not allowed");
    expect(errorOf('eval(a) > 1')).toContain("'eval' is not an allowed function");
    expect(errorOf('a.constructor > 1')).toContain('property access');
    expect(errorOf('a > 0 ? 1 : 0')).toContain('ternary');
    expect(errorOf("a == 'x'")).toContain('only numbers may appear as constants');
    expect(errorOf('a == true')).toContain('only numbers may appear as constants');
    expect(errorOf('abs(a, b) > 1')).toContain('abs() takes 1 argument, got 2');
    expect(errorOf('min(a) > 1')).toContain('min() takes at least 2 arguments, got 1');
    expect(errorOf('abs > 1')).toContain('abs is a function');
    expect(errorOf('   ')).toContain('the expression is empty');
  });

  it('lets only its own functions through, never names inherited from Object.prototype', () => {
    for (const name of ['constructor', 'valueOf', 'hasOwnProperty', 'toString', '__proto__', '__defineGetter__', 'isPrototypeOf']) {
      expect(errorOf(`${name}(a) > 0`)).toContain(`'${name}' is not an allowed function`);
    }
    expect(errorOf('valueOf() > 0')).toContain("'valueOf' is not an allowed function");
    expect(errorOf('__defineGetter__(a, a)')).toContain("'__defineGetter__' is not an allowed function");
  });

  it('refuses an expression too long or nested too deeply, before the parser or the translation could overflow', () => {
    const long = Array.from({ length: 2000 }, () => 'a > 0').join(' && ');
    expect(errorOf(long)).toMatch(/^cut x: the expression has 1\d{4} characters, more than 10000; split it into several cuts\.$/);
    const deep = `${'!'.repeat(300)}(a > 0)`;
    expect(errorOf(deep)).toContain('nests deeper than 200 levels');
  });
});
