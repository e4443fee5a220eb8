// The training settings of a train node, checked where the training starts against the same
// schema fragment that checks the `training` section of a definition: a node from any
// source (an older run's DAG, a test) meets the rules the YAML promises, and the rules are
// written once.
import { Ajv, type ErrorObject } from 'ajv';
import type { TrainingSettings } from '../core/dag.js';
import schema from './sweep.schema.json' with { type: 'json' };

type Fragment = { type?: string; properties?: Record<string, Fragment>; required?: string[]; default?: unknown };

/** The fragment with every property required at every level: a node carries complete settings. */
function complete(fragment: Fragment): Fragment {
  if (!fragment.properties) return fragment;
  const { default: _default, ...rest } = fragment;
  const properties = Object.fromEntries(Object.entries(fragment.properties).map(([key, value]) => [key, complete(value)]));
  return { ...rest, properties, required: Object.keys(properties) };
}

/** The YAML's `training` section minus what is not a setting of one training (the preset name, the retry policy). */
function settingsSchema(): Fragment {
  const { preset: _preset, retry: _retry, ...settings } = (schema.properties.training as Fragment).properties!;
  return complete({ ...(schema.properties.training as Fragment), properties: settings });
}

const validate = new Ajv({ allErrors: true }).compile(settingsSchema());

/** Every way `settings` breaks the schema, as `training.<path> <what is wrong>`; empty when fine. */
export function trainingSettingsProblems(settings: TrainingSettings): string[] {
  if (validate(settings)) return [];
  return (validate.errors ?? []).map((e: ErrorObject) => {
    const at = `training${e.instancePath.replaceAll('/', '.')}`;
    const value = e.instancePath ? ` (got ${JSON.stringify(valueAt(settings, e.instancePath))})` : '';
    const allowed =
      e.keyword === 'enum' ? `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : e.message;
    return `${at} ${allowed}${value}`;
  });
}

function valueAt(root: unknown, pointer: string): unknown {
  return pointer
    .slice(1)
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], root);
}
