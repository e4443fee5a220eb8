// Loads a sweep definition: YAML (with positions) -> JSON Schema (ajv, all errors) ->
// semantic checks. Every problem of the file is reported at once, one line each:
//   file:line:col  /json/pointer  message (what was expected)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { checkSemantics, type CheckOptions, type Problem, type YamlPath } from './check.js';
import { DefinitionError } from '../core/errors.js';
import type { Spec } from './spec.js';
import { closest, didYouMean } from '../core/suggest.js';
import schema from './sweep.schema.json' with { type: 'json' };

let validator: ValidateFunction | undefined;
function validate(data: unknown): ErrorObject[] {
  // verbose: errors carry the failing schema and data, which the messages quote.
  validator ??= new Ajv({ allErrors: true, useDefaults: true, verbose: true }).compile(schema);
  return validator(data) ? [] : (validator.errors ?? []);
}

/** A definition is a page of YAML; anything this large is a mistake or an attack on the parser. */
export const MAX_DEFINITION_BYTES = 1 << 20;
/** YAML aliases (*name) expanded per document, beyond which the loader refuses (an alias bomb). */
const MAX_ALIASES = 100;

/** A `--set PATH=VALUE` of the command line: replaces (or adds) one value of the definition. */
export interface Override {
  /** `training.preset=fast` as the user wrote it, for messages. */
  text: string;
  path: (string | number)[];
  value: unknown;
}

export interface LoadOptions extends CheckOptions {
  /** Applied in order to the YAML before validation, so they are checked like the file. */
  overrides?: Override[];
}

/**
 * Parses `PATH=VALUE`: PATH is keys joined by dots (a number indexes a list:
 * `samples.background.0.weight`), VALUE is YAML (`fast`, `0.01`, `[0, 0.001, 0.01]`).
 */
export function parseOverride(text: string): Override {
  const equals = text.indexOf('=');
  const pathText = equals < 0 ? '' : text.slice(0, equals).trim();
  const fix = 'write --set PATH=VALUE, e.g. --set training.preset=fast or --set "models.matrix.seed=[1, 2, 3]"';
  if (equals < 0 || pathText === '' || pathText.split('.').some((key) => key === '')) {
    throw new DefinitionError([`--set ${text}: not PATH=VALUE; ${fix}`]);
  }
  const doc = parseDocument(text.slice(equals + 1));
  if (doc.errors.length > 0)
    throw new DefinitionError([`--set ${text}: the value is not YAML (${doc.errors[0]!.message.split('\n')[0]}); ${fix}`]);
  const path = pathText.split('.').map((key) => (/^\d+$/.test(key) ? Number(key) : key));
  return { text, path, value: doc.toJS() };
}

export function loadSpec(file: string, options: LoadOptions = {}): Spec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DefinitionError([`${file}: cannot read the definition (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  return loadSpecText(text, file, options);
}

export function loadSpecText(text: string, fileName: string, options: LoadOptions = {}): Spec {
  if (text.length > MAX_DEFINITION_BYTES) {
    throw new DefinitionError([
      `${fileName}: the definition has ${text.length} characters, more than ${MAX_DEFINITION_BYTES}; a sweep definition is a page of YAML (long lists of values belong in files it names)`,
    ]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${fileName}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    throw new DefinitionError(
      doc.errors.map((e) => {
        const at = e.linePos ? `${fileName}:${e.linePos[0].line}:${e.linePos[0].col}` : position(e.pos[0]);
        return `${at}  -  YAML syntax: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`;
      }),
    );
  }
  for (const override of options.overrides ?? []) applyOverride(doc, override);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES }) ?? null;
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    throw new DefinitionError([
      `${fileName}: the YAML expands aliases (*name) too often (${err.message.split('.')[0]}); write the repeated parts out, or nest fewer anchors`,
    ]);
  }
  const format = (problems: Problem[]) => {
    const located = problems.map((p) => {
      // A value the command line set has no line of its own: the message names the --set.
      const from = [...(options.overrides ?? [])].reverse().find((o) => o.path.every((key, i) => String(p.path[i]) === String(key)));
      return {
        offset: offsetOf(doc, p.path, p.atKey ?? false),
        text: `${pointer(p.path)}  ${p.message}${from ? ` (set by --set ${from.text})` : ''}`,
      };
    });
    located.sort((a, b) => a.offset - b.offset);
    return [...new Set(located.map((l) => `${position(l.offset)}  ${l.text}`))];
  };

  const schemaErrors = validate(data);
  if (schemaErrors.length > 0) throw new DefinitionError(format(describeSchemaErrors(schemaErrors)));

  const raw = data as Omit<Spec, 'file' | 'dataRoot'>;
  const spec: Spec = { ...raw, file: fileName, dataRoot: path.resolve(path.dirname(fileName), raw.data.root) };
  const problems = checkSemantics(spec, options);
  if (problems.length > 0) throw new DefinitionError(format(problems));
  return spec;
}

function pointer(at: YamlPath): string {
  return at.length === 0 ? '/' : at.map((s) => '/' + String(s).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

function pathOf(instancePath: string): YamlPath {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Offset in the text of the node at `at`, or of its deepest existing ancestor. */
/** Sets the value, creating the maps on the way; a path through a scalar or past a list's end is refused. */
function applyOverride(doc: Document, override: Override): void {
  let node: unknown = doc.contents;
  for (const [i, key] of override.path.slice(0, -1).entries()) {
    const inside = override.path.slice(0, i + 1).join('.');
    if (isSeq(node) && typeof key === 'number' && key >= node.items.length) {
      throw new DefinitionError([`--set ${override.text}: ${inside} is past the end of its list (${node.items.length} items)`]);
    }
    node = isMap(node) || isSeq(node) ? node.get(key, true) : undefined;
    if (node !== undefined && !isMap(node) && !isSeq(node)) {
      throw new DefinitionError([
        `--set ${override.text}: ${inside} is a single value, not a map or list, so it has no ${override.path[i + 1]}`,
      ]);
    }
  }
  try {
    doc.setIn(override.path, doc.createNode(override.value));
  } catch (err) {
    // The yaml library refuses a key for a list or an index for a map.
    throw new DefinitionError([
      `--set ${override.text}: cannot set ${override.path.join('.')} (${(err as Error).message}); a list takes an index (0, 1, ...), a map a key`,
    ]);
  }
}

function offsetOf(doc: Document, at: YamlPath, atKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents?.range ?? [0])[0];
  for (const [i, segment] of at.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair || !isScalar(pair.key)) return offset;
      const keyOffset = pair.key.range?.[0] ?? offset;
      const value = pair.value;
      // A key with no value (`name:`) has an empty scalar after it; the key is the better place.
      const empty = isScalar(value) && value.source === '';
      if ((atKey && i === at.length - 1) || !value || empty) return keyOffset;
      node = value;
      offset = (value as { range?: [number, number, number] }).range?.[0] ?? keyOffset;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (!item) return offset;
      node = item;
      offset = (item as { range?: [number, number, number] }).range?.[0] ?? offset;
    } else return offset;
  }
  return offset;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  // JSON would print NaN and Infinity (YAML .nan, .inf) as null.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function descriptionOf(error: ErrorObject): string | undefined {
  return (error.parentSchema as { description?: string } | undefined)?.description?.replace(/\.$/, '');
}

/** The schema's description of what belongs there, as the "expected" part of a message. */
function expected(error: ErrorObject): string {
  const description = descriptionOf(error);
  return description ? ` (expected: ${description})` : '';
}

function describeSchemaErrors(errors: ErrorObject[]): Problem[] {
  // anyOf reports every failed branch; the user needs one message saying what fits there.
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  const beneath = (e: ErrorObject, a: ErrorObject) => e.instancePath === a.instancePath || e.instancePath.startsWith(a.instancePath + '/');
  const branchOf = (e: ErrorObject) => anyOfs.find((a) => a !== e && beneath(e, a));
  // A required key written with a typo is one problem: the unknown key's "did you mean"
  // names the missing one, so the "missing key" line would only repeat it.
  const misspelt = new Set(
    errors
      .filter((e) => e.keyword === 'additionalProperties')
      .map((e) => `${e.instancePath}\0${closest(String(e.params.additionalProperty), knownKeys(e)) ?? ''}`),
  );
  const renamed = (e: ErrorObject) => e.keyword === 'required' && misspelt.has(`${e.instancePath}\0${String(e.params.missingProperty)}`);
  const problems: Problem[] = [];
  for (const error of errors) {
    if (error.keyword === 'if' || error.keyword === 'propertyNames' || branchOf(error) || renamed(error)) continue;
    problems.push(
      describe(
        error,
        errors.filter((e) => branchOf(e) === error),
      ),
    );
  }
  return problems;
}

/** The keys the schema allows where an additionalProperties error occurred. */
function knownKeys(error: ErrorObject): string[] {
  return Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
}

function allowedValues(error: ErrorObject): string[] {
  return (error.params as { allowedValues: unknown[] }).allowedValues.map(String);
}

function describe(error: ErrorObject, branches: ErrorObject[]): Problem {
  const at = pathOf(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const got = show(error.data);
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = knownKeys(error);
      return {
        path: [...at, key],
        atKey: true,
        message: `unknown key "${key}"${didYouMean(key, allowed)} (expected one of: ${allowed.join(', ')})`,
      };
    }
    case 'required': {
      const key = String(params.missingProperty);
      const property = (error.parentSchema as { properties?: Record<string, { description?: string }> }).properties?.[key];
      return {
        path: at,
        message: `missing key "${key}"${property?.description ? ` (expected: ${property.description.replace(/\.$/, '')})` : ''}`,
      };
    }
    case 'enum': {
      const allowed = allowedValues(error);
      // A property name that failed (e.g. an unknown column in `columns`) points at the key.
      const name = (error as { propertyName?: string }).propertyName;
      const value = name ?? String(error.data);
      const list = allowed.length <= 20 || !descriptionOf(error) ? ` one of: ${allowed.join(', ')}` : `: ${descriptionOf(error)}`;
      return {
        path: name === undefined ? at : [...at, name],
        atKey: name !== undefined,
        message: `"${value}" is not allowed here${didYouMean(value, allowed)} (expected${list})`,
      };
    }
    case 'pattern': {
      const name = (error as { propertyName?: string }).propertyName;
      return {
        path: name === undefined ? at : [...at, name],
        atKey: name !== undefined,
        message: `${name === undefined ? got : JSON.stringify(name)} is not allowed here${expected(error)}`,
      };
    }
    case 'uniqueItems': {
      const [i, j] = [Number(params.i), Number(params.j)];
      return { path: [...at, Math.max(i, j)], message: `repeats item ${Math.min(i, j)}; list each value once` };
    }
    case 'anyOf': {
      const enumBranch = branches.find((b) => b.keyword === 'enum' && b.instancePath === error.instancePath);
      const hint = enumBranch ? didYouMean(String(error.data), allowedValues(enumBranch)) : '';
      return { path: at, message: `got ${got}${hint}${expected(error)}` };
    }
    default:
      return { path: at, message: `${error.message}, got ${got}${expected(error)}` };
  }
}
