// The candidate ntuple the generator writes (the preselection's input): column names as in a
// Belle II analysis ntuple, one growable typed array per column, filled row by row.
import type { Column, Table } from '../lib/parquet.js';

const LEPTONS = ['eminus', 'eplus', 'muminus', 'muplus'] as const;
const LEPTON_FIELDS = ['E', 'px', 'py', 'pz', 'charge', 'nCDCHits', 'dr', 'dz', 'theta', 'pidEMu'] as const;
const PAIR_FIELDS = ['vtxDr', 'fitFailed', 'chiProb', 'M'] as const;

type NumericType = 'f64' | 'f32' | 'i32' | 'u8';

function leptonType(field: (typeof LEPTON_FIELDS)[number]): NumericType {
  if (field === 'charge' || field === 'nCDCHits') return 'i32';
  return field === 'E' || (field.startsWith('p') && field !== 'pidEMu') ? 'f64' : 'f32';
}

/** Numeric columns in file order; `process` (text) is appended when the table is built. */
export const NTUPLE_COLUMNS: readonly { name: string; type: NumericType }[] = [
  { name: 'event', type: 'i32' },
  { name: 'candidate', type: 'i32' },
  { name: 'weight', type: 'f64' },
  { name: 'm_chi1', type: 'f64' },
  { name: 'm_hprime', type: 'f64' },
  ...LEPTONS.flatMap((p) => LEPTON_FIELDS.map((f) => ({ name: `${p}_${f}`, type: leptonType(f) }))),
  ...['hprime', 'chi2'].flatMap((pair) =>
    PAIR_FIELDS.map((f) => ({ name: `${pair}_${f}`, type: (f === 'fitFailed' ? 'u8' : f === 'M' ? 'f64' : 'f32') as NumericType })),
  ),
  { name: 'pi0Mass', type: 'f64' },
  { name: 'nExtraTracks', type: 'i32' },
  { name: 'extraEclEnergy', type: 'f64' },
  { name: 'missE', type: 'f64' },
  { name: 'missPx', type: 'f64' },
  { name: 'missPy', type: 'f64' },
  { name: 'missPz', type: 'f64' },
];

/** Index of each column in a row buffer. */
export const COL: Record<string, number> = Object.fromEntries(NTUPLE_COLUMNS.map((c, i) => [c.name, i]));

type NumericArray = Float64Array | Float32Array | Int32Array | Uint8Array;

function allocate(type: NumericType, n: number): NumericArray {
  if (type === 'f64') return new Float64Array(n);
  if (type === 'f32') return new Float32Array(n);
  if (type === 'i32') return new Int32Array(n);
  return new Uint8Array(n);
}

export class NtupleBuilder {
  rows = 0;
  /** The row being filled; `commit` appends it. */
  readonly row = new Float64Array(NTUPLE_COLUMNS.length);
  private columns: NumericArray[];

  constructor(capacity = 1 << 14) {
    this.columns = NTUPLE_COLUMNS.map((c) => allocate(c.type, capacity));
  }

  commit(): void {
    if (this.rows === this.columns[0].length) this.grow();
    const r = this.rows++;
    for (let c = 0; c < this.columns.length; c++) this.columns[c][r] = this.row[c];
  }

  /** Multiplies the weight column (the normalisation is known only after all events). */
  scaleWeights(factor: number): void {
    const w = this.columns[COL.weight];
    for (let r = 0; r < this.rows; r++) w[r] *= factor;
  }

  toTable(process: string): Table {
    const columns: Record<string, Column> = {};
    NTUPLE_COLUMNS.forEach((c, i) => {
      columns[c.name] = this.columns[i].slice(0, this.rows);
    });
    columns.process = new Array<string>(this.rows).fill(process);
    return { numRows: this.rows, columns };
  }

  private grow(): void {
    this.columns = this.columns.map((old, i) => {
      const bigger = allocate(NTUPLE_COLUMNS[i].type, old.length * 2);
      bigger.set(old);
      return bigger;
    });
  }
}
