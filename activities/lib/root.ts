// ROOT TTrees as input files, with the column API of parquet.ts (readColumnInfo, readTable):
// flat branches of every numeric type, one number per row (basf2's variablesToNtuple writes
// one candidate per row). jsroot, the ROOT project's own JavaScript library, opens the file
// and streams the tree with its branches, leaves and basket tables; the numbers are then read
// here basket by basket, inflated by Node's zlib where ROOT used zlib (jsroot's inflaters for
// LZMA, LZ4 and ZSTD) and turned from big-endian into typed arrays in bulk, because jsroot's
// entry-by-entry TSelector read about a tenth as fast as uproot when this was written (bench/data.ts
// measures this reader against uproot on the same file).
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import { FileProxy, R__unzip, TBuffer, clTBasket, openFile, type RootFile } from 'jsroot/io';
import { UserError } from '../../core/errors.js';
import { didYouMean } from '../../core/suggest.js';
import type { ColumnInfo, FileInfo, NumericColumn, Table } from './parquet.js';

/** How a leaf stores one value. */
type Kind = 'f64' | 'f32' | 'i32' | 'u32' | 'i16' | 'u16' | 'i8' | 'u8' | 'bool' | 'i64' | 'u64';

/** Leaf classes of flat numeric branches: [signed, unsigned]. */
const LEAVES: Record<string, [Kind, Kind]> = {
  TLeafD: ['f64', 'f64'],
  TLeafF: ['f32', 'f32'],
  TLeafI: ['i32', 'u32'],
  TLeafS: ['i16', 'u16'],
  TLeafB: ['i8', 'u8'],
  TLeafO: ['bool', 'bool'],
  TLeafL: ['i64', 'u64'],
  TLeafG: ['i64', 'u64'],
};

/** Per kind: its name, its size in the file and the typed array that holds every value exactly (64-bit: up to 2^53). */
const KINDS: Record<Kind, { type: string; size: number; Array: new (length: number) => NumericColumn }> = {
  f64: { type: 'double', size: 8, Array: Float64Array },
  f32: { type: 'float', size: 4, Array: Float32Array },
  i32: { type: 'int32', size: 4, Array: Int32Array },
  u32: { type: 'uint32', size: 4, Array: Float64Array },
  i16: { type: 'int16', size: 2, Array: Int32Array },
  u16: { type: 'uint16', size: 2, Array: Int32Array },
  i8: { type: 'int8', size: 1, Array: Int32Array },
  u8: { type: 'uint8', size: 1, Array: Uint8Array },
  bool: { type: 'bool', size: 1, Array: Uint8Array },
  i64: { type: 'int64', size: 8, Array: Float64Array },
  u64: { type: 'uint64', size: 8, Array: Float64Array },
};

/** The parts of jsroot's streamed objects read here. */
interface Leaf {
  _typename: string;
  fLen: number;
  fIsUnsigned: boolean;
  fLeafCount: { fName: string } | null;
}
interface Branch {
  _typename: string;
  fName: string;
  fTitle: string;
  fClassName?: string;
  fWriteBasket: number;
  fBasketSeek: ArrayLike<number>;
  fBasketBytes: ArrayLike<number>;
  fBasketEntry: ArrayLike<number>;
  fLeaves: { arr: Leaf[] };
  fBranches: { arr: Branch[] };
}
interface Tree {
  fEntries: number;
  fBranches: { arr: Branch[] };
}
interface BasketHeader {
  fNbytes: number;
  fObjlen: number;
  fKeylen: number;
  fNevBuf: number;
  fLast: number;
}

/** A tree's row count and its branches as columns (reads the tree header, no data). */
export async function readRootColumnInfo(path: string, tree?: string): Promise<FileInfo & { tree: string }> {
  return withTree(path, tree, async ({ name, object }) => {
    const columns = new Map<string, ColumnInfo>();
    for (const branch of object.fBranches.arr) columns.set(branch.fName, describe(branch, path, name).info);
    return { tree: name, rows: object.fEntries, columns };
  });
}

/** Reads the named branches (all readable ones when omitted) of a tree into typed arrays. */
export async function readRootTable(path: string, tree: string | undefined, columns?: string[]): Promise<Table> {
  return withTree(path, tree, async ({ file, root, name, object }) => {
    const branches = new Map(object.fBranches.arr.map((b) => [b.fName, b]));
    const wanted = columns ?? [...branches.keys()].filter((b) => describe(branches.get(b)!, path, name).kind);
    const missing = wanted.filter((c) => !branches.has(c));
    if (missing.length > 0) {
      throw new UserError(
        `${path}: tree '${name}' has no branch ${missing.map((m) => `'${m}'${didYouMean(m, [...branches.keys()])}`).join(', ')}; ` +
          `it has: ${[...branches.keys()].join(', ')}.`,
      );
    }
    const out: Table['columns'] = {};
    for (const column of wanted) {
      const branch = branches.get(column)!;
      const { info, kind } = describe(branch, path, name);
      if (!kind) throw new UserError(info.unreadable!);
      out[column] = await readBranch(file, root, branch, kind, object.fEntries, `${path}: tree '${name}', branch '${column}'`);
    }
    return { numRows: object.fEntries, columns: out };
  });
}

/** A branch as a column: flat numeric branches are readable, everything else says why not and what to do. */
function describe(branch: Branch, path: string, tree: string): { info: ColumnInfo; kind?: Kind } {
  const which = `branch '${branch.fName}' of tree '${tree}' in ${path}`;
  const leaves = branch.fLeaves.arr;
  const leaf = leaves[0];
  const unreadable = (type: string, why: string): { info: ColumnInfo } => ({
    info: { numeric: false, type, unreadable: `${which} ${why}` },
  });
  if (branch._typename !== 'TBranch' || branch.fBranches.arr.length > 0 || !leaf) {
    return unreadable(
      branch.fClassName || branch._typename,
      `holds objects of class ${branch.fClassName || branch._typename}; the sweep reads one number per branch and row: ` +
        'write each variable as a branch of its own (as basf2 variablesToNtuple does).',
    );
  }
  if (leaves.length > 1) {
    return unreadable(
      'leaf list',
      `holds several values per row (leaf list ${branch.fTitle}); the sweep reads one number per branch and row: write each as a branch of its own.`,
    );
  }
  if (leaf._typename === 'TLeafC') return unreadable('string', 'holds text, but the sweep reads numbers.');
  const kinds = LEAVES[leaf._typename];
  if (!kinds) {
    return unreadable(
      leaf._typename,
      `has leaf type ${leaf._typename} (${branch.fTitle}), which the sweep does not read; write it as double, float, int or bool.`,
    );
  }
  const kind = kinds[leaf.fIsUnsigned ? 1 : 0];
  if (leaf.fLeafCount) {
    return unreadable(
      `${KINDS[kind].type}[${leaf.fLeafCount.fName}]`,
      `holds a variable-length array per row (${branch.fTitle}, counted by '${leaf.fLeafCount.fName}'), a jagged branch; ` +
        'the sweep reads one candidate per row: write the ntuple with basf2 variablesToNtuple (one row per candidate) rather than ' +
        'variablesToEventBasedTree, or flatten it to one row per array element first (e.g. uproot and awkward: ak.flatten).',
    );
  }
  if (leaf.fLen > 1) {
    return unreadable(
      `${KINDS[kind].type}[${leaf.fLen}]`,
      `holds ${leaf.fLen} numbers per row (${branch.fTitle}); the sweep reads one number per branch and row: write each element as a branch of its own.`,
    );
  }
  return { info: { numeric: true, type: KINDS[kind].type }, kind };
}

/** Every value of one flat branch, basket by basket, into one typed array. */
async function readBranch(file: NodeFile, root: RootFile, branch: Branch, kind: Kind, rows: number, where: string): Promise<NumericColumn> {
  const { size, Array: Column } = KINDS[kind];
  const target = new Column(rows);
  // Baskets are read and inflated all at once: zlib runs on Node's thread pool, so the
  // inflating (most of the time) spreads over the cores.
  const baskets = Array.from({ length: branch.fWriteBasket }, (_, k) => k).filter((k) => branch.fBasketEntry[k] < rows);
  const counts = await Promise.all(
    baskets.map(async (k) => {
      const first = branch.fBasketEntry[k];
      const damaged = (why: string) =>
        new UserError(`${where}: basket ${k} is damaged (${why}); the file may be truncated: write it again.`);
      const raw = await file.read(branch.fBasketSeek[k], branch.fBasketBytes[k]);
      if (raw.length < branch.fBasketBytes[k]) throw damaged(`${raw.length} of ${branch.fBasketBytes[k]} bytes in the file`);
      const { header, data } = await basketData(raw, root, damaged);
      const count = Math.min(header.fNevBuf, rows - first);
      if (header.fLast - header.fKeylen !== header.fNevBuf * size || data.length < count * size) {
        throw damaged(`${header.fNevBuf} entries of ${size} bytes do not fill its ${header.fLast - header.fKeylen} bytes`);
      }
      decode(kind, data, target, first, count);
      return count;
    }),
  );
  const onDisk = counts.reduce((sum, count) => sum + count, 0);
  if (onDisk < rows) {
    // ROOT keeps the last basket in memory until the tree is written; a tree saved only by
    // AutoSave, or a file never closed, carries it inside the tree header instead.
    throw new UserError(
      `${where}: ${rows - onDisk} of its ${rows} entries sit in a basket that was never written out (the file was not closed ` +
        'properly, or saved only by AutoSave); write the tree again (TTree::Write flushes every basket) or re-run the job that wrote it.',
    );
  }
  return target;
}

/** A basket's header and its entries' bytes, inflated. */
async function basketData(
  raw: Buffer,
  root: RootFile,
  damaged: (why: string) => UserError,
): Promise<{ header: BasketHeader; data: Uint8Array }> {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
  let header: BasketHeader;
  try {
    header = new TBuffer(view, 0, root).classStreamer<BasketHeader>({}, clTBasket);
  } catch (err) {
    throw damaged(`jsroot cannot read its header: ${(err as Error).message}`);
  }
  if (header.fNbytes !== raw.length) throw damaged(`its header gives ${header.fNbytes} bytes, the tree ${raw.length}`);
  const stored = raw.subarray(header.fKeylen);
  if (stored.length === header.fObjlen) return { header, data: stored };
  if (stored[0] === 0x5a && stored[1] === 0x4c) return { header, data: await inflateZlib(stored, header.fObjlen, damaged) };
  const inflated = await R__unzip(view, header.fObjlen, true, header.fKeylen);
  if (!inflated) throw damaged('jsroot cannot inflate it');
  return { header, data: new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength) };
}

const inflateAsync = promisify(inflate);

/**
 * ROOT's zlib blocks ("ZL", 3 bytes compressed and 3 bytes inflated size, then a zlib stream),
 * inflated by Node's zlib, which is several times faster than jsroot's JavaScript inflater.
 */
async function inflateZlib(stored: Buffer, size: number, damaged: (why: string) => UserError): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let inflated = 0;
  for (let at = 0; inflated < size;) {
    const compressed = stored[at + 3] | (stored[at + 4] << 8) | (stored[at + 5] << 16);
    if (stored[at] !== 0x5a || stored[at + 1] !== 0x4c || at + 9 + compressed > stored.length) throw damaged('a zlib block is cut short');
    try {
      parts.push(await inflateAsync(stored.subarray(at + 9, at + 9 + compressed)));
    } catch (err) {
      throw damaged(`zlib: ${(err as Error).message}`);
    }
    inflated += parts.at(-1)!.length;
    at += 9 + compressed;
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** `count` big-endian values of `data` into `target` from row `first`. */
function decode(kind: Kind, data: Uint8Array, target: NumericColumn, first: number, count: number): void {
  const { size } = KINDS[kind];
  if (kind === 'f64' || kind === 'f32' || kind === 'i32' || kind === 'u8' || kind === 'bool') {
    // Same width in file and memory: one copy, then one native byte swap of the whole run.
    const bytes = Buffer.from(target.buffer, target.byteOffset + first * size, count * size);
    bytes.set(data.subarray(0, count * size));
    if (size === 8) bytes.swap64();
    else if (size === 4) bytes.swap32();
    return;
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read: Record<string, (at: number) => number> = {
    u32: (at) => view.getUint32(at),
    i16: (at) => view.getInt16(at),
    u16: (at) => view.getUint16(at),
    i8: (at) => view.getInt8(at),
    i64: (at) => view.getInt32(at) * 4294967296 + view.getUint32(at + 4),
    u64: (at) => view.getUint32(at) * 4294967296 + view.getUint32(at + 4),
  };
  const value = read[kind];
  for (let i = 0; i < count; i++) target[first + i] = value(i * size);
}

/** jsroot reads through this: positioned reads of a Node file handle. */
class NodeFile extends FileProxy {
  constructor(
    private readonly path: string,
    private readonly handle: FileHandle,
    private readonly size: number,
  ) {
    super();
  }

  override async openFile(): Promise<boolean> {
    return true;
  }

  override getFileName(): string {
    return this.path;
  }

  override getFileSize(): number {
    return this.size;
  }

  override async readBuffer(position: number, length: number): Promise<DataView> {
    const bytes = await this.read(position, length);
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  /** Up to `length` bytes from `position`; fewer at the end of the file. */
  async read(position: number, length: number): Promise<Buffer> {
    const bytes = Buffer.alloc(Math.max(0, Math.min(length, this.size - position)));
    const { bytesRead } = await this.handle.read(bytes, 0, bytes.length, position);
    return bytes.subarray(0, bytesRead);
  }
}

/** Opens a ROOT file for jsroot, hands it to `use`, and always closes it. */
async function withRootFile<T>(path: string, use: (file: NodeFile, root: RootFile) => Promise<T>): Promise<T> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new UserError(`ROOT file not found: ${path}; check the path (relative to the data root) or create the file.`);
    throw new UserError(`cannot open ${path} (${code ?? String(err)}); check that the file is readable.`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new UserError(`${path} is not a file; point the definition at a ROOT file.`);
    const file = new NodeFile(path, handle, info.size);
    const header = await file.read(0, 20);
    if (header.subarray(0, 4).toString('latin1') !== 'root') {
      throw new UserError(
        `${path} is not a ROOT file (it does not begin with the bytes "root"); give a ROOT file as basf2, ROOT or uproot write it, ` +
          'or a Parquet file (.parquet).',
      );
    }
    // The header's file length (4 bytes, 8 from version 1000000 on) catches a truncated file
    // before jsroot, which would print its own stack trace over it.
    if (header.length < 20) throw damagedFile(path, `it ends within its header, after ${header.length} bytes`);
    const end = header.readUInt32BE(4) < 1000000 ? header.readUInt32BE(12) : Number(header.readBigUInt64BE(12));
    if (end > info.size) throw damagedFile(path, `its header gives ${end} bytes, the file has ${info.size}`);
    let root: RootFile;
    try {
      root = await openFile(file);
    } catch (err) {
      throw damagedFile(path, `jsroot: ${(err as Error).message}`);
    }
    return await use(file, root);
  } finally {
    await handle.close();
  }
}

function damagedFile(path: string, why: string): UserError {
  return new UserError(`${path} is a damaged ROOT file (${why}); it may be truncated or still being written: write it again.`);
}

function treesOf(root: RootFile): string[] {
  return [...new Set(root.fKeys.filter((k) => k.fClassName === 'TTree').map((k) => k.fName))];
}

async function withTree<T>(
  path: string,
  tree: string | undefined,
  use: (opened: { file: NodeFile; root: RootFile; name: string; object: Tree }) => Promise<T>,
): Promise<T> {
  return withRootFile(path, async (file, root) => {
    const trees = treesOf(root);
    let name: string;
    if (tree !== undefined) {
      if (!trees.includes(tree)) {
        const holds = trees.length > 0 ? `it holds the trees ${trees.join(', ')}` : 'it holds no tree';
        throw new UserError(`${path} has no tree '${tree}'${didYouMean(tree, trees)}; ${holds}: name one of them as the sample's tree.`);
      }
      name = tree;
    } else if (trees.length === 1) {
      name = trees[0];
    } else if (trees.length === 0) {
      const objects = root.fKeys.map((k) => `${k.fName} (${k.fClassName})`).join(', ');
      throw new UserError(`${path} holds no tree (it holds ${objects || 'nothing'}); an ntuple from basf2 variablesToNtuple holds one.`);
    } else {
      throw new UserError(
        `${path} holds several trees (${trees.join(', ')}); name the one to read as the sample's tree (sweep inspect: --tree).`,
      );
    }
    const object = (await root.readObject(name).catch(() => undefined)) as Tree | undefined;
    if (!Array.isArray(object?.fBranches?.arr)) throw damagedFile(path, `jsroot cannot read tree '${name}'`);
    return use({ file, root, name, object });
  });
}
