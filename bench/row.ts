// One line of the benchmark table: what each bench module returns to bench/run.ts.
export interface Row {
  name: string;
  value: number;
  unit: string;
  note?: string;
}
