// Where a definition's input files are, and the one way a node opens one. Every input path,
// written in the definition or found by a wildcard, goes through insideDataRoot (relative to
// the data root, no way out of it); a worker then opens it with resolveDataFile, which follows
// every symlink and requires the real file to lie below one of the directories the worker may
// read. A definition cannot point a worker at /etc, at ../.., or through a link out of the
// data directory.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { UserError } from '../../core/errors.js';

export interface DataAccess {
  /** What relative `file` paths resolve against (the definition's data.root for in-process workers). */
  dataRoot: string;
  /** Directories below which this worker reads user files (compared after resolving symlinks). */
  allowedRoots: string[];
}

/** Resolves `file` against the data root, refusing absolute paths and any way out of it; `sample` names it for messages. */
export function insideDataRoot(dataRoot: string, file: string, sample: string): string {
  const normal = normalize(file);
  if (isAbsolute(file) || normal === '..' || normal.startsWith(`..${sep}`)) {
    throw new UserError(
      `sample ${sample}: file '${file}' must be a path relative to data.root that stays inside it (no leading / and no ..).`,
    );
  }
  return resolve(dataRoot, normal);
}

/** The real path of `file` under the data root, below one of the allowed roots. */
export async function resolveDataFile(file: string, access: DataAccess, sample: string): Promise<string> {
  const path = insideDataRoot(access.dataRoot, file, sample);
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new UserError(`sample ${sample}: file '${file}' does not exist (looked for ${path}); check data.root and the file name.`);
  }
  const roots = await Promise.all(access.allowedRoots.map((root) => realpath(root).catch(() => resolve(root))));
  if (!roots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep))) {
    throw new UserError(
      `sample ${sample}: file '${file}' is ${real}${real !== path ? ' (after following symlinks)' : ''}, outside the directories this worker may read ` +
        `(${roots.join(', ')}); move the data below one of them, or allow its directory with SWEEP_DATA_ROOTS (sweep worker --data-roots).`,
    );
  }
  return real;
}

/**
 * The files one `file` entry of a sample names, relative to the data root with `/`: the file
 * itself, or every file a pattern (* ? [...] {a,b} **) matches, in sorted order.
 */
export async function expandFileEntry(dataRoot: string, entry: string, sample: string): Promise<string[]> {
  const root = resolve(dataRoot);
  const relativeName = (path: string) => relative(root, path).split(sep).join('/');
  if (!isDynamicPattern(entry)) {
    const path = insideDataRoot(root, entry, sample);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) {
      throw new UserError(
        `sample ${sample}: ${info ? `'${entry}' is not a file` : `file '${entry}' not found`} under the data root ${root}; ` +
          'check the path (relative to data.root) or create the file.',
      );
    }
    return [relativeName(path)];
  }
  const matches = await glob(entry, { cwd: root, onlyFiles: true, expandDirectories: false });
  if (matches.length === 0) {
    throw new UserError(
      `sample ${sample}: no file matches '${entry}' under the data root ${root}; check the pattern (relative to data.root).`,
    );
  }
  return matches.map((match) => relativeName(insideDataRoot(root, match, sample))).sort();
}
