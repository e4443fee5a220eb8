// The command line of every `sweep` command, parsed in one place with messages a user can
// act on, and the values shared by `sweep run`, `sweep resume` and `sweep worker`.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BACKEND_SETTINGS, type BackendSetting } from '../core/dag.js';
import { UsageError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';

/**
 * Node's parseArgs, strict, with its errors (raw text, odd quoting) turned into one
 * UsageError each: the option or argument at fault, the closest known option, the usage.
 * `usage` is the command's synopsis after `sweep `, e.g. `validate FILE`.
 */
export function parseCommandLine<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = (err as Error).message;
    // Node quotes the option ('--foo', '--until <value>') or the argument ('x') it objects to.
    const quoted = /'([^' ]+)/.exec(message)?.[1] ?? '';
    const hint = ` (usage: sweep ${usage})`;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const known = Object.keys(options).map((name) => `--${name}`);
      throw new UsageError(`unknown option ${quoted}${didYouMean(quoted, known)}${hint}`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(`${quoted} ${/argument missing/.test(message) ? 'needs a value' : 'takes no value'}${hint}`);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument "${quoted}"${hint}`);
    throw err;
  }
}

/** The flags that size and configure this process's workers. */
export const WORKER_FLAGS = {
  'cpu-slots': { type: 'string' },
  'gpu-slots': { type: 'string' },
  backend: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export interface WorkerFlags {
  cpuSlots?: number;
  gpuSlots?: number;
  /** The host's training backend; overrides training.backend of every definition. */
  backend?: BackendSetting;
}

/** A whole number >= 1 (slot counts, seconds), or undefined when the flag is absent. */
export function positiveInt(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number >= 1, got "${value}"`);
  return n;
}

export function backendFlag(value: string | boolean | undefined): BackendSetting | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  if (!(BACKEND_SETTINGS as readonly string[]).includes(value)) {
    throw new UsageError(`--backend ${value}: use one of ${BACKEND_SETTINGS.join(', ')}`);
  }
  return value as BackendSetting;
}

/** SWEEP_DATA_ROOTS: more directories (colon-separated) that nodes may read user files from. */
export function envDataRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.SWEEP_DATA_ROOTS ?? '').split(':').filter(Boolean);
}

export function workerFlags(values: { 'cpu-slots'?: string; 'gpu-slots'?: string; backend?: string }): WorkerFlags {
  return {
    cpuSlots: positiveInt(values['cpu-slots'], '--cpu-slots'),
    gpuSlots: positiveInt(values['gpu-slots'], '--gpu-slots'),
    backend: backendFlag(values.backend),
  };
}
