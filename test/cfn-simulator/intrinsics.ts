// The intrinsic functions a synthesized CDK template uses in resource properties, resolved the way
// CloudFormation resolves them at deploy time, against fixed pseudo parameters. Anything the
// simulator cannot resolve is an error naming the function and where it was found: a silently
// unresolved token would be sent to the handler as an object and hide a real difference.

/** The values CloudFormation fills in, fixed for tests. */
export interface PseudoParameters {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  readonly stackName: string;
  readonly stackId: string;
  readonly urlSuffix: string;
}

export interface ResolveContext {
  readonly pseudo: PseudoParameters;
  /** Template parameters: the values given, else each parameter's Default. */
  readonly parameters: Record<string, string>;
  /** Ref of a resource: its physical id (undefined when the resource does not exist yet). */
  readonly ref: (logicalId: string) => string | undefined;
  /** Fn::GetAtt of a resource (undefined when it is not known). */
  readonly getAtt: (logicalId: string, attribute: string) => string | undefined;
  /** Whether a template condition holds. */
  readonly condition: (name: string) => boolean;
}

/** Marks a property that Fn::If or AWS::NoValue removed. */
const NO_VALUE = Symbol('AWS::NoValue');

export class ResolveError extends Error {
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'ResolveError';
  }
}

/** Resolves every intrinsic in a value; properties set to AWS::NoValue are left out. */
export function resolveValue(value: unknown, ctx: ResolveContext, where: string): unknown {
  const resolved = resolve(value, ctx, where);
  return resolved === NO_VALUE ? undefined : resolved;
}

function resolve(value: unknown, ctx: ResolveContext, where: string): unknown {
  if (Array.isArray(value)) {
    return value.map((item, i) => resolve(item, ctx, `${where}[${i}]`)).filter((item) => item !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && isIntrinsic(entries[0][0])) return intrinsic(entries[0][0], entries[0][1], ctx, `${where}.${entries[0][0]}`);
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const resolved = resolve(item, ctx, `${where}.${key}`);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

function isIntrinsic(key: string): boolean {
  return key === 'Ref' || key === 'Condition' || key.startsWith('Fn::');
}

function intrinsic(name: string, arg: unknown, ctx: ResolveContext, where: string): unknown {
  switch (name) {
    case 'Ref':
      return ref(String(arg), ctx, where);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/s);
      const value = ctx.getAtt(logicalId, attribute);
      if (value === undefined) throw new ResolveError(where, `Fn::GetAtt ${logicalId}.${attribute} is not known (the resource does not exist, or has no such attribute)`);
      return value;
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      const list = resolve(parts, ctx, where);
      if (!Array.isArray(list)) throw new ResolveError(where, 'Fn::Join needs a list');
      return list.map((part) => text(part, where)).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [unknown, unknown];
      const items = resolve(list, ctx, where);
      const i = Number(resolve(index, ctx, where));
      if (!Array.isArray(items) || !(i >= 0 && i < items.length)) throw new ResolveError(where, `Fn::Select index ${i} is out of range`);
      return items[i];
    }
    case 'Fn::Split': {
      const [separator, source] = arg as [string, unknown];
      return text(resolve(source, ctx, where), where).split(separator);
    }
    case 'Fn::Sub':
      return sub(arg, ctx, where);
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
      return resolve(ctx.condition(condition) ? whenTrue : whenFalse, ctx, where);
    }
    case 'Fn::Equals': {
      const [a, b] = (arg as unknown[]).map((v) => resolve(v, ctx, where));
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case 'Fn::Not':
      return !(resolve((arg as unknown[])[0], ctx, where) as boolean);
    case 'Fn::And':
      return (arg as unknown[]).every((v) => resolve(v, ctx, where) === true);
    case 'Fn::Or':
      return (arg as unknown[]).some((v) => resolve(v, ctx, where) === true);
    case 'Condition':
      return ctx.condition(String(arg));
    default:
      throw new ResolveError(where, `the simulator does not resolve ${name}`);
  }
}

function ref(name: string, ctx: ResolveContext, where: string): unknown {
  switch (name) {
    case 'AWS::AccountId': return ctx.pseudo.accountId;
    case 'AWS::Region': return ctx.pseudo.region;
    case 'AWS::Partition': return ctx.pseudo.partition;
    case 'AWS::StackName': return ctx.pseudo.stackName;
    case 'AWS::StackId': return ctx.pseudo.stackId;
    case 'AWS::URLSuffix': return ctx.pseudo.urlSuffix;
    case 'AWS::NoValue': return NO_VALUE;
    default: break;
  }
  if (name in ctx.parameters) return ctx.parameters[name];
  const physicalId = ctx.ref(name);
  if (physicalId === undefined) throw new ResolveError(where, `Ref ${name} names no parameter and no resource that exists`);
  return physicalId;
}

function sub(arg: unknown, ctx: ResolveContext, where: string): string {
  const [template, variables] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
  return template.replace(/\$\{([^}]+)\}/g, (_match, expression: string) => {
    if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
    if (variables && expression in variables) return text(resolve(variables[expression], ctx, where), where);
    const [name, attribute] = expression.split(/\.(.*)/s);
    return text(attribute ? intrinsic('Fn::GetAtt', [name, attribute], ctx, where) : ref(name, ctx, where), where);
  });
}

function text(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ResolveError(where, `expected a string, got ${JSON.stringify(value)}`);
}

/**
 * CloudFormation hands a custom resource's properties over with every scalar as a string
 * (numbers and booleans included): the handler must read them back from strings.
 */
export function stringifyScalars(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringifyScalars);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, stringifyScalars(v)]));
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

/** The resources a value refers to (Ref, Fn::GetAtt, Fn::Sub), for ordering. */
export function referencedResources(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    value.forEach((item) => referencedResources(item, into));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'Ref' && typeof item === 'string' && !item.startsWith('AWS::')) into.add(item);
      else if (key === 'Fn::GetAtt') into.add(Array.isArray(item) ? String(item[0]) : String(item).split('.')[0]);
      else if (key === 'Fn::Sub') {
        const template = typeof item === 'string' ? item : String((item as unknown[])[0]);
        for (const [, expression] of template.matchAll(/\$\{([^}!][^}]*)\}/g)) {
          const name = expression.split('.')[0];
          if (!name.startsWith('AWS::')) into.add(name);
        }
        if (Array.isArray(item)) referencedResources(item[1], into);
      } else referencedResources(item, into);
    }
  }
  return into;
}
