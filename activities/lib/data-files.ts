// Where a definition's input files are. Every input path, written in the definition or found
// by a wildcard, goes through insideDataRoot: the one place that resolves a path against the
// data root and keeps it there.
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { UserError } from '../../core/errors.js';

/** Resolves `file` against the data root and refuses anything that would leave it. */
export function insideDataRoot(dataRoot: string, file: string, sample: string): string {
  const root = resolve(dataRoot);
  const path = resolve(root, file);
  const rel = relative(root, path);
  if (isAbsolute(file) || rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new UserError(
      `sample ${sample}: file '${file}' is outside the data root ${root}; give a path relative to data.root that stays inside it.`,
    );
  }
  return path;
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
