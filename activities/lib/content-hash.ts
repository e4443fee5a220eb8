// Content hashes of files: the artifact store's manifests, and the input files whose hashes
// enter the cache keys. Hashing a large ntuple takes seconds, so an input's hash is kept in a
// small cache next to what stat says about the file; while that is unchanged the hash is
// reused, and any change (size, modification time, ctime or inode) hashes the file again.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** sha256 of a file's bytes, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A file written this close to its hashing may be written again within the same timestamp
 * tick (coarse file systems count whole seconds), so its hash is not cached.
 */
const RACY_MS = 2000;

interface CacheEntry {
  path: string;
  /** What stat said when the hash was taken; ctime and inode catch `cp -p` and a file renamed over this one. */
  stamp: string;
  sha256: string;
}

/**
 * sha256 of `path`, taken from `cacheDir` while the file's size, mtime, ctime and inode are
 * those it was hashed with. Node errors (ENOENT, ...) pass through for the caller to word.
 */
export async function contentHash(path: string, cacheDir: string): Promise<string> {
  const info = await stat(path, { bigint: true });
  const stamp = [info.size, info.mtimeNs, info.ctimeNs, info.ino].join(':');
  const entryFile = join(cacheDir, `${createHash('sha256').update(path).digest('hex').slice(0, 32)}.json`);
  const cached = await readFile(entryFile, 'utf8').then(
    (text) => JSON.parse(text) as CacheEntry,
    () => undefined,
  );
  if (cached?.path === path && cached.stamp === stamp) return cached.sha256;
  const sha256 = await sha256File(path);
  if (Date.now() - Number(info.mtimeMs) > RACY_MS) {
    // Write-then-rename, so concurrent hashers (one child process per node) never read half an entry.
    await mkdir(cacheDir, { recursive: true });
    const staged = `${entryFile}.${randomUUID()}`;
    await writeFile(staged, JSON.stringify({ path, stamp, sha256 } satisfies CacheEntry));
    await rename(staged, entryFile);
  }
  return sha256;
}
