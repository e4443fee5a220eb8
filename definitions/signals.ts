// The signal mass grid: the product of the two mass lists, filtered by `where`.
import type { MassPoint, SignalSpec } from './spec.js';

export interface SignalPoint {
  name: string;
  mChi1: number;
  mHprime: number;
}

export type WhereResult = { ok: true; test: (point: MassPoint) => boolean } | { ok: false; error: string };

import { idmdhMasses } from '../core/idmdh.js';

/** Masses a `where` condition may name; m_chi2 and m_Aprime follow from the grid (Eq. 3.3). */
const VARIABLES: Record<string, (p: MassPoint) => number> = {
  m_chi1: (p) => p.m_chi1,
  m_hprime: (p) => p.m_hprime,
  m_chi2: (p) => idmdhMasses(p.m_chi1, p.m_hprime).mChi2,
  m_Aprime: (p) => idmdhMasses(p.m_chi1, p.m_hprime).mAprime,
};
const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  '<=': (a, b) => a <= b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '>': (a, b) => a > b,
};
const TERM = /^\s*(.+?)\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
export const WHERE_EXPECTED =
  'comparisons (< <= > >= == !=) of sums of m_chi1, m_hprime, m_chi2, m_Aprime and numbers joined by &&, ' +
  'e.g. "m_hprime <= m_chi1 && m_chi1 + m_chi2 + m_hprime < 10.58"';

type Operand = (point: MassPoint) => number;

/** A sum like `m_chi1 + m_chi2 + m_hprime`; undefined names the first unknown part. */
function parseSum(text: string): Operand | string {
  const parts: Operand[] = [];
  for (const raw of text.split('+')) {
    const part = raw.trim();
    if (part in VARIABLES) parts.push(VARIABLES[part]);
    else if (NUMBER.test(part)) parts.push(() => Number(part));
    else return `unknown variable "${part}"`;
  }
  return (p) => parts.reduce((sum, part) => sum + part(p), 0);
}

/**
 * `where` needs only comparisons of masses, so it has its own tiny grammar rather than the
 * cut language (which is evaluated over ntuple columns by the preselection).
 */
export function parseWhere(text: string): WhereResult {
  const terms: ((point: MassPoint) => boolean)[] = [];
  for (const term of text.split('&&')) {
    const match = TERM.exec(term);
    if (!match) return { ok: false, error: `cannot read "${term.trim()}"` };
    const left = parseSum(match[1]);
    const right = parseSum(match[3]);
    if (typeof left === 'string') return { ok: false, error: left };
    if (typeof right === 'string') return { ok: false, error: right };
    const compare = COMPARISONS[match[2]];
    terms.push((p) => compare(left(p), right(p)));
  }
  return { ok: true, test: (p) => terms.every((t) => t(p)) };
}

export function signalName(process: string, point: MassPoint): string {
  return `${process}_mchi1-${point.m_chi1}_mhp-${point.m_hprime}`;
}

/** Grid points in m_chi1-major order. Assumes a valid `where` (the loader checks it). */
export function expandSignals(signal: SignalSpec): SignalPoint[] {
  const where = signal.where === undefined ? undefined : parseWhere(signal.where);
  if (where && !where.ok) throw new Error(`invalid where "${signal.where}": ${where.error}`);
  return signal.grid.m_chi1
    .flatMap((m_chi1) => signal.grid.m_hprime.map((m_hprime) => ({ m_chi1, m_hprime })))
    .filter((point) => !where || where.test(point))
    .map((point) => ({ name: signalName(signal.process, point), mChi1: point.m_chi1, mHprime: point.m_hprime }));
}

/** The file of one grid point from the `file` template. */
export function signalFile(template: string, point: SignalPoint): string {
  return template
    .replaceAll('{name}', point.name)
    .replaceAll('{m_chi1}', String(point.mChi1))
    .replaceAll('{m_hprime}', String(point.mHprime));
}
