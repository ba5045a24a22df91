export * from './simulator';
export * from './expectations';
export { resolveValue, stringifyScalars, type PseudoParameters, type ResolveContext } from './intrinsics';
export * from './cloudformation-endpoint';
