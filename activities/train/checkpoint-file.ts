// One checkpoint = one file, replaced atomically (write a temporary file, fsync, rename,
// fsync the directory), so a crash at any moment leaves either the old or the new
// checkpoint, never a torn one. Layout: 8-byte magic, uint32 LE header length, the JSON
// header ({meta, arrays: [{name, dtype, offset, length}]}), padding to 4 bytes, then the
// arrays' raw little-endian bytes.
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

const MAGIC = 'SWCKPT01';

export type CheckpointArray = Float32Array | Int32Array;

export interface CheckpointContent<M> {
  meta: M;
  arrays: Record<string, CheckpointArray>;
}

interface ArrayEntry {
  name: string;
  dtype: 'float32' | 'int32';
  offset: number;
  length: number;
}

export async function writeCheckpointFile<M>(path: string, content: CheckpointContent<M>): Promise<void> {
  const entries: ArrayEntry[] = [];
  let offset = 0;
  for (const [name, array] of Object.entries(content.arrays)) {
    entries.push({ name, dtype: array instanceof Int32Array ? 'int32' : 'float32', offset, length: array.length });
    offset += array.byteLength;
  }
  const header = Buffer.from(JSON.stringify({ meta: content.meta, arrays: entries }), 'utf8');
  const dataStart = align4(MAGIC.length + 4 + header.length);
  const bytes = Buffer.alloc(dataStart + offset);
  bytes.write(MAGIC, 0, 'latin1');
  bytes.writeUInt32LE(header.length, MAGIC.length);
  header.copy(bytes, MAGIC.length + 4);
  for (const entry of entries) {
    const array = content.arrays[entry.name]!;
    Buffer.from(array.buffer, array.byteOffset, array.byteLength).copy(bytes, dataStart + entry.offset);
  }
  const temp = `${path}.${process.pid}.tmp`;
  const file = await open(temp, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
  await syncDirectory(dirname(path));
}

/** The checkpoint at `path`, undefined when there is none; throws when it is unreadable. */
export async function readCheckpointFile<M>(path: string): Promise<CheckpointContent<M> | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (bytes.length < MAGIC.length + 4 || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    throw new Error(`${path} is not a training checkpoint`);
  }
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const header = JSON.parse(bytes.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + headerLength)) as {
    meta: M;
    arrays: ArrayEntry[];
  };
  const dataStart = align4(MAGIC.length + 4 + headerLength);
  const arrays: Record<string, CheckpointArray> = {};
  for (const entry of header.arrays) {
    const Type = entry.dtype === 'int32' ? Int32Array : Float32Array;
    const start = dataStart + entry.offset;
    const end = start + entry.length * Type.BYTES_PER_ELEMENT;
    if (end > bytes.length) throw new Error(`${path} is truncated (array ${entry.name})`);
    // Copy into a fresh, aligned buffer: the file buffer's offset need not be 4-aligned.
    arrays[entry.name] = new Type(new Uint8Array(bytes.subarray(start, end)).buffer);
  }
  return { meta: header.meta, arrays };
}

export async function removeCheckpointFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
