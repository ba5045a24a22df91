// A judge of QuickSight requests that owes nothing to the code under test: the official service
// model (botocore's quicksight 2018-04-01 service-2.json, as boto3 and the AWS CLI ship it), read
// at test time. It maps a request as it travelled (method, encoded path, query, JSON body) to the
// model's operation and input members, and checks them the way the service's front end does:
// required members, types, enums, lengths (strings in UTF-16 code units, lists and maps in
// entries), numeric ranges, and patterns.
//
// Patterns: the model writes Java regular expressions. AWS front ends require the whole value to
// match (STS refuses 'Session Names cannot Hava Spaces!' for its unanchored [\w+=,.@-]*, which a
// search could never refuse), so a pattern is applied as ^(?:pattern)$. The translation to
// JavaScript handles \uXXXX, \A, \z, \Z and possessive quantifiers; anything it cannot translate
// faithfully (\p{...} classes, && intersections) throws instead of judging loosely.
//
// Where the model comes from: $QUICKSIGHT_MODEL (a service-2.json or .json.gz), else botocore's
// data directory as `python3 -c "import botocore"` finds it. Without either the judge fails with
// a message saying how to install botocore.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface ShapeDef {
  readonly type: string;
  readonly members?: Record<string, { shape: string; location?: string; locationName?: string }>;
  readonly required?: string[];
  readonly member?: { shape: string };
  readonly key?: { shape: string };
  readonly value?: { shape: string };
  readonly enum?: string[];
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly error?: { httpStatusCode?: number };
  readonly exception?: boolean;
}

export interface OperationDef {
  readonly name: string;
  readonly http: { method: string; requestUri: string; responseCode?: number };
  readonly input?: { shape: string };
  readonly output?: { shape: string };
  readonly errors?: Array<{ shape: string }>;
}

export interface ServiceModel {
  readonly metadata: { apiVersion: string; serviceId: string; protocol: string };
  readonly operations: Record<string, OperationDef>;
  readonly shapes: Record<string, ShapeDef>;
}

export interface Violation {
  /** Where, as member names: 'Tags[2].Value'. */
  readonly at: string;
  readonly rule: string;
}

export interface Verdict {
  /** The model's operation the request maps to (undefined: none). */
  readonly operation?: string;
  readonly input?: Record<string, unknown>;
  readonly violations: Violation[];
}

/** A request as it travelled. */
export interface WireRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly body: string;
}

let cached: { file: string; model: ServiceModel } | undefined;

/** Where the model file is (see the header). */
export function modelFile(): string {
  const fromEnv = process.env.QUICKSIGHT_MODEL;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`QUICKSIGHT_MODEL=${fromEnv}: no such file`);
    return fromEnv;
  }
  let botocoreDir: string;
  try {
    botocoreDir = execFileSync('python3', ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    throw new Error(`The QuickSight service model judge needs botocore's model: install it (pip install botocore) or set QUICKSIGHT_MODEL to a quicksight service-2.json(.gz). python3 could not import botocore: ${(error as Error).message.split('\n')[0]}`);
  }
  const dir = path.join(botocoreDir, 'data', 'quicksight', '2018-04-01');
  for (const name of ['service-2.json', 'service-2.json.gz']) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`botocore at ${botocoreDir} has no quicksight 2018-04-01 model (looked for service-2.json(.gz) in ${dir}): upgrade botocore or set QUICKSIGHT_MODEL.`);
}

/** The official QuickSight model (read once). */
export function quickSightModel(): ServiceModel {
  if (!cached) {
    const file = modelFile();
    const raw = fs.readFileSync(file);
    const text = file.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    const model = JSON.parse(text) as ServiceModel;
    if (model.metadata?.serviceId !== 'QuickSight' || model.metadata.protocol !== 'rest-json') {
      throw new Error(`${file} is not the QuickSight rest-json model (serviceId ${model.metadata?.serviceId}, protocol ${model.metadata?.protocol})`);
    }
    cached = { file, model };
  }
  return cached.model;
}

export function shapeOf(name: string, model = quickSightModel()): ShapeDef {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`The QuickSight model has no shape ${name}`);
  return shape;
}

/** The shape of an operation's input member: `memberShape('RegisterUser', 'SessionName')`. */
export function memberShape(operation: string, member: string, model = quickSightModel()): ShapeDef {
  const input = shapeOf(model.operations[operation].input!.shape, model);
  const ref = input.members?.[member];
  if (!ref) throw new Error(`${operation} has no input member ${member}`);
  return shapeOf(ref.shape, model);
}

// ---- requests as they travelled ----

/** The operation a request maps to, with its input members read from the path, query and body. */
export function readRequest(request: WireRequest, model = quickSightModel()): Verdict {
  const segments = request.path.split('/').slice(1);
  const candidates = Object.values(model.operations)
    .filter((op) => op.http.method === request.method)
    .map((op) => ({ op, labels: matchTemplate(op.http.requestUri.split('?')[0], segments) }))
    .filter((c): c is { op: OperationDef; labels: Record<string, string> } => c.labels !== undefined)
    // The most literal template wins (…/users/{UserName} against …/{Something}/{Else}).
    .sort((a, b) => Object.keys(a.labels).length - Object.keys(b.labels).length);
  if (candidates.length === 0) return { violations: [{ at: `${request.method} ${request.path}`, rule: 'matches no operation of the model' }] };
  const { op, labels } = candidates[0];
  const violations: Violation[] = [];
  const input: Record<string, unknown> = {};
  const shape = op.input ? shapeOf(op.input.shape, model) : { type: 'structure', members: {} };
  const query = new URLSearchParams(request.query);
  let body: Record<string, unknown> = {};
  if (request.body.trim() !== '') {
    try {
      const parsed = JSON.parse(request.body);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) violations.push({ at: '(body)', rule: 'must be a JSON object' });
      else body = parsed;
    } catch {
      violations.push({ at: '(body)', rule: 'is not JSON' });
    }
  }
  const bodyMembers = new Set<string>();
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const wireName = ref.locationName ?? name;
    const member = shapeOf(ref.shape, model);
    switch (ref.location) {
      case 'uri':
        if (wireName in labels || `${wireName}+` in labels) input[name] = labels[wireName] ?? labels[`${wireName}+`];
        break;
      case 'querystring': {
        const values = query.getAll(wireName);
        if (values.length === 0) break;
        if (member.type === 'list') input[name] = values;
        else if (member.type === 'integer' || member.type === 'long') {
          input[name] = /^-?\d+$/.test(values[0]) ? Number(values[0]) : values[0];
        } else if (member.type === 'boolean') input[name] = values[0] === 'true' ? true : values[0] === 'false' ? false : values[0];
        else input[name] = values[0];
        break;
      }
      case 'header':
      case 'headers':
      case 'statusCode':
        break;
      default:
        bodyMembers.add(wireName);
        if (wireName in body) input[name] = body[wireName];
    }
  }
  for (const key of Object.keys(body)) {
    if (!bodyMembers.has(key)) violations.push({ at: key, rule: `is not a member of ${op.name}'s input` });
  }
  for (const key of new Set(query.keys())) {
    const known = Object.values(shape.members ?? {}).some((ref) => ref.location === 'querystring' && (ref.locationName ?? '') === key);
    if (!known) violations.push({ at: `?${key}`, rule: `is not a query parameter of ${op.name}` });
  }
  violations.push(...judgeInput(op.name, input, model));
  return { operation: op.name, input, violations };
}

function matchTemplate(template: string, segments: string[]): Record<string, string> | undefined {
  const parts = template.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const labels: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segments[i]);
    } catch {
      return undefined;
    }
    const label = /^\{([^}]+)\}$/.exec(parts[i]);
    if (label) labels[label[1]] = decoded;
    else if (parts[i] !== decoded) return undefined;
  }
  return labels;
}

// ---- inputs ----

/** What breaks the model in an operation's input (member names as the model has them). */
export function judgeInput(operation: string, input: Record<string, unknown>, model = quickSightModel()): Violation[] {
  const op = model.operations[operation];
  if (!op) return [{ at: operation, rule: 'is no operation of the model' }];
  const violations: Violation[] = [];
  if (op.input) judgeValue(shapeOf(op.input.shape, model), input, '', violations, model);
  return violations;
}

function judgeValue(shape: ShapeDef, value: unknown, at: string, out: Violation[], model: ServiceModel): void {
  const fail = (rule: string): void => {
    out.push({ at: at || '(input)', rule });
  };
  switch (shape.type) {
    case 'structure': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('must be a structure');
      const record = value as Record<string, unknown>;
      for (const name of shape.required ?? []) {
        if (record[name] === undefined || record[name] === null) out.push({ at: join(at, name), rule: 'is required' });
      }
      for (const [name, member] of Object.entries(record)) {
        if (member === undefined) continue;
        const ref = shape.members?.[name];
        if (!ref) {
          out.push({ at: join(at, name), rule: 'is not a member of the structure' });
          continue;
        }
        if (member === null) continue;
        judgeValue(shapeOf(ref.shape, model), member, join(at, name), out, model);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return fail('must be a list');
      range(shape, value.length, 'entries', fail);
      value.forEach((item, i) => judgeValue(shapeOf(shape.member!.shape, model), item, `${at}[${i}]`, out, model));
      return;
    }
    case 'map': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('must be a map');
      const entries = Object.entries(value as Record<string, unknown>);
      range(shape, entries.length, 'entries', fail);
      for (const [k, v] of entries) {
        judgeValue(shapeOf(shape.key!.shape, model), k, `${at}{key ${JSON.stringify(k)}}`, out, model);
        judgeValue(shapeOf(shape.value!.shape, model), v, `${at}{${JSON.stringify(k)}}`, out, model);
      }
      return;
    }
    case 'string': {
      if (typeof value !== 'string') return fail(`must be a string, got ${JSON.stringify(value)}`);
      if (shape.enum && !shape.enum.includes(value)) fail(`${JSON.stringify(value)} is not one of ${shape.enum.join(', ')}`);
      range(shape, value.length, 'characters', fail);
      if (shape.pattern !== undefined && !wholeMatch(shape.pattern).test(value)) fail(`${JSON.stringify(value)} does not match ${shape.pattern}`);
      return;
    }
    case 'integer':
    case 'long': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`must be an integer, got ${JSON.stringify(value)}`);
      if (shape.min !== undefined && value < shape.min) fail(`${value} is less than ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) fail(`${value} is more than ${shape.max}`);
      return;
    }
    case 'float':
    case 'double':
      if (typeof value !== 'number') fail(`must be a number, got ${JSON.stringify(value)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`must be a boolean, got ${JSON.stringify(value)}`);
      return;
    default:
      return;
  }
}

function range(shape: ShapeDef, n: number, unit: string, fail: (rule: string) => void): void {
  if (shape.min !== undefined && n < shape.min) fail(`has ${n} ${unit}, fewer than ${shape.min}`);
  if (shape.max !== undefined && n > shape.max) fail(`has ${n} ${unit}, more than ${shape.max}`);
}

function join(at: string, name: string): string {
  return at ? `${at}.${name}` : name;
}

// ---- Java patterns ----

const compiled = new Map<string, RegExp>();

/** A model pattern as a JavaScript RegExp that must match the whole value. */
export function wholeMatch(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${javaToJavaScript(pattern)})$`);
    compiled.set(pattern, re);
  }
  return re;
}

/** Translates a Java regular expression to JavaScript (no flags), or throws where it cannot. */
export function javaToJavaScript(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '[' && !inClass) inClass = true;
    else if (c === ']' && inClass) inClass = false;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === 'p' || next === 'P') throw new Error(`Java pattern ${pattern}: \\${next}{...} classes are not translated`);
      if (next === 'A') { out += '^'; i++; continue; }
      if (next === 'z') { out += '$'; i++; continue; }
      if (next === 'Z') { out += '(?=\\n?$)'; i++; continue; }
      out += c + (next ?? '');
      i++;
      continue;
    }
    if (c === '&' && pattern[i + 1] === '&') throw new Error(`Java pattern ${pattern}: && class intersections are not translated`);
    // Possessive quantifiers (*+, ++, ?+, }+): JavaScript has none; greedy is the closest reading.
    if (!inClass && c === '+' && i > 0 && /[*+?}]/.test(pattern[i - 1]) && pattern[i - 2] !== '\\') continue;
    out += c;
  }
  return out;
}
