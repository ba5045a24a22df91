// Checks shared by the constructs of the library (internal: not exported from lib/index.ts).
import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The removal policy a resource of the library takes: DESTROY (the default) or RETAIN; any other
 * is refused with `refusal(name)`, `name` being the policy's enum name (SNAPSHOT...).
 */
export function supportedRemovalPolicy(policy: RemovalPolicy | undefined, refusal: (name: string) => string): RemovalPolicy {
  const removalPolicy = policy ?? RemovalPolicy.DESTROY;
  if (removalPolicy !== RemovalPolicy.DESTROY && removalPolicy !== RemovalPolicy.RETAIN) {
    const name = Object.entries(RemovalPolicy).find(([, value]) => value === removalPolicy)?.[0] ?? removalPolicy;
    throw new Error(refusal(name));
  }
  return removalPolicy;
}

/** Adds `validate` to the app of `construct`, once per app and name, however many constructs ask. */
export function validateAppOnce(construct: IConstruct, name: string, validate: (root: IConstruct) => string[]): void {
  const flag = Symbol.for(name);
  const root = construct.node.root as IConstruct & { [flag]?: boolean };
  if (root[flag]) return;
  root[flag] = true;
  root.node.addValidation({ validate: () => validate(root) });
}

/**
 * The construct paths of each key declared more than once in the app (`keyOf` gives a construct's
 * key, or undefined to skip it). A key with an unresolved token (an account or region only known at
 * deploy time) is only comparable within its stack, so the stack's path joins it then.
 */
export function duplicatePaths(root: IConstruct, keyOf: (construct: IConstruct) => string | undefined): string[][] {
  const byKey = new Map<string, string[]>();
  for (const construct of root.node.findAll()) {
    const declared = keyOf(construct);
    if (declared === undefined) continue;
    const key = Token.isUnresolved(declared) ? `${Stack.of(construct).node.path}|${declared}` : declared;
    byKey.set(key, [...(byKey.get(key) ?? []), construct.node.path]);
  }
  return [...byKey.values()].filter((paths) => paths.length > 1);
}
