// The part of jsroot's I/O module (jsroot/io, shipped without types) that root.ts uses.
declare module 'jsroot/io' {
  /** What jsroot reads a file through: root.ts gives it a Node file handle. */
  export class FileProxy {
    openFile(): Promise<boolean>;
    getFileName(): string;
    getFileSize(): number;
    readBuffer(position: number, length: number): Promise<DataView>;
  }

  export interface RootKey {
    fName: string;
    fClassName: string;
  }

  export interface RootFile {
    fKeys: RootKey[];
    readObject(name: string, cycle?: number): Promise<unknown>;
  }

  export function openFile(source: FileProxy): Promise<RootFile>;

  export class TBuffer {
    constructor(view: DataView, position: number, file: RootFile);
    classStreamer<T>(target: object, className: string): T;
  }

  /** Inflates ROOT's compressed blocks (zlib, LZ4, ZSTD, LZMA); null when it cannot. */
  export function R__unzip(view: DataView, targetSize: number, noAlert?: boolean, sourceOffset?: number): Promise<DataView | null>;

  export const clTBasket: string;
}
