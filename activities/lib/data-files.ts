// The one way a node opens a user's input file: a path relative to the data root, resolved
// with every symlink followed, which must end below one of the directories this worker may
// read. A definition cannot point a worker at /etc, at ../.., or through a link out of the
// data directory.
import { realpath } from 'node:fs/promises';
import { isAbsolute, normalize, resolve, sep } from 'node:path';
import { UserError } from '../../core/errors.js';

export interface DataAccess {
  /** What relative `file` paths resolve against (the definition's data.root for in-process workers). */
  dataRoot: string;
  /** Directories below which this worker reads user files (compared after resolving symlinks). */
  allowedRoots: string[];
}

/** The real path of `file` under the data root; `where` names the sample for messages. */
export async function resolveDataFile(file: string, access: DataAccess, where: string): Promise<string> {
  const normal = normalize(file);
  if (isAbsolute(file) || normal === '..' || normal.startsWith(`..${sep}`)) {
    throw new UserError(`${where}: file '${file}' must be a path relative to data.root that stays inside it (no leading / and no ..).`);
  }
  const path = resolve(access.dataRoot, normal);
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new UserError(`${where}: file '${file}' does not exist (looked for ${path}); check data.root and the file name.`);
  }
  const roots = await Promise.all(access.allowedRoots.map((root) => realpath(root).catch(() => resolve(root))));
  if (!roots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep))) {
    throw new UserError(
      `${where}: file '${file}' is ${real}${real !== path ? ' (after following symlinks)' : ''}, outside the directories this worker may read ` +
        `(${roots.join(', ')}); move the data below one of them, or allow its directory with SWEEP_DATA_ROOTS (sweep worker --data-roots).`,
    );
  }
  return real;
}
