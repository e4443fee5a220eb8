// Train/test split by a hash of (sample, seed, event id): deterministic, independent of row
// order and of which other events survive, so changing a cut never reshuffles the split.

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

/** A number in [0, 1) fixed by the sample name, the seed and the event id. */
export function splitUniform(sampleHash: number, seed: number, eventId: number): number {
  bits[0] = eventId;
  let h = mix(sampleHash ^ Math.imul(seed | 0, 0x9e3779b1));
  h = mix(h ^ words[0]);
  h = mix(h ^ words[1]);
  return h / 4294967296;
}

export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** murmur3's 32-bit finaliser. */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
