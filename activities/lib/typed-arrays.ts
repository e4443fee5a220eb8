// Joining per-sample or per-chunk typed arrays into one, as scoring and scanning do.

type NumberArray = Float64Array | Float32Array | Int32Array | Uint8Array;

/** `parts` end to end in one new array made by `Type` (the parts' own type, so no precision is lost). */
export function concatArrays<T extends NumberArray>(parts: readonly T[], Type: new (length: number) => T): T {
  const out = new Type(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
