import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BACKEND_SETTINGS } from '../../core/dag.js';
import { PRESET_NAMES } from '../../definitions/presets.js';
import schema from '../../definitions/sweep.schema.json' with { type: 'json' };

type Schema = {
  $ref?: string;
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  [key: string]: unknown;
};

const definitions = (schema as unknown as { definitions: Record<string, Schema> }).definitions;
const resolve = (s: Schema): Schema => (s.$ref ? definitions[s.$ref.replace('#/definitions/', '')] : s);

/** Every subschema with the JSON path to it. */
function walk(s: unknown, at: string, visit: (s: Schema, at: string) => void) {
  if (!s || typeof s !== 'object') return;
  if (!Array.isArray(s)) visit(s as Schema, at);
  for (const [key, value] of Object.entries(s)) walk(value, `${at}/${key}`, visit);
}

describe('sweep.schema.json', () => {
  it('describes every property, so editors can show what each key means', () => {
    const undescribed: string[] = [];
    walk(schema, '#', (s, at) => {
      for (const [name, property] of Object.entries(s.properties ?? {})) {
        // Properties inside if/then only narrow a property described elsewhere.
        if (!property.description && !resolve(property).description && !at.includes('/then')) undescribed.push(`${at}/properties/${name}`);
      }
    });
    expect(undescribed).toEqual([]);
  });

  it('closes every object with properties, so unknown keys are errors', () => {
    const open: string[] = [];
    walk(schema, '#', (s, at) => {
      if (s.type === 'object' && s.properties && s.additionalProperties !== false) open.push(at);
    });
    expect(open).toEqual([]);
  });

  it('offers exactly the presets that exist', () => {
    const preset = (schema as unknown as { properties: { training: { properties: { preset: { enum: string[] } } } } }).properties.training
      .properties.preset;
    expect(preset.enum).toEqual([...PRESET_NAMES]);
  });

  it("offers exactly the backends of core/dag.ts, the list the worker's --backend accepts", () => {
    const backend = (schema as unknown as { properties: { training: { properties: { backend: { enum: string[] } } } } }).properties.training
      .properties.backend;
    expect(backend.enum).toEqual([...BACKEND_SETTINGS]);
  });

  it('is referenced by the shipped definitions for editor completion', () => {
    for (const file of ['definitions/thesis.yaml', 'definitions/quick.yaml', 'definitions/ntuples.yaml']) {
      expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./sweep.schema.json');
    }
  });
});
