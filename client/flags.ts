// Command-line values shared by `sweep run`, `sweep resume` and `sweep worker`, parsed and
// checked in one place.
import type { ParseArgsConfig } from 'node:util';
import { BACKEND_SETTINGS, type BackendSetting } from '../core/dag.js';
import { UsageError } from '../core/errors.js';

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

export function workerFlags(values: Record<string, string | boolean | undefined>): WorkerFlags {
  return {
    cpuSlots: positiveInt(values['cpu-slots'], '--cpu-slots'),
    gpuSlots: positiveInt(values['gpu-slots'], '--gpu-slots'),
    backend: backendFlag(values.backend),
  };
}
