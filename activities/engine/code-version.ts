// Hashes of source trees: a file and every local module it reaches. The code version of a
// node kind (activities/registry.ts) and the cache key of the workflow bundle are made of them.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file lives in `<root>/activities/engine`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

// Relative specifiers in static imports/exports, dynamic imports, and `new URL('./x', import.meta.url)`
// (how a module points at a script it runs in a child process or worker thread).
const LOCAL_SPECIFIERS = [
  /\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g,
  /\bimport\s*['"](\.{1,2}\/[^'"]+)['"]/g,
  /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
  /\bnew\s+URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url/g,
];

/** `./x.js` in TypeScript sources means `./x.ts`; anything else is taken literally. */
function resolveLocal(fromFile: string, specifier: string): string {
  const literal = resolve(dirname(fromFile), specifier);
  if (literal.endsWith('.js')) {
    const ts = literal.slice(0, -3) + '.ts';
    if (existsSync(ts)) return ts;
  }
  return literal;
}

/** Every local file reachable from `entry` (absolute paths, sorted), the entry included. */
export async function localModuleTree(entry: string): Promise<string[]> {
  const seen = new Set<string>();
  const pending = [resolve(entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!/\.[cm]?[jt]s$/.test(file) || !existsSync(file)) continue;
    const source = await readFile(file, 'utf8');
    for (const pattern of LOCAL_SPECIFIERS) {
      for (const match of source.matchAll(pattern)) pending.push(resolveLocal(file, match[1]!));
    }
  }
  return [...seen].sort();
}

/** sha256 over the relative paths and contents of `entry` and its local module tree. */
export async function sourceTreeHash(entry: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await localModuleTree(entry)) {
    hash.update(relative(REPO_ROOT, file)).update('\0');
    hash.update(existsSync(file) ? await readFile(file) : 'missing').update('\0');
  }
  return hash.digest('hex');
}
