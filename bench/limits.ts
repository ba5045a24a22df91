// CloudFormation's per-stack limits that decide how many users one stack can hold.

/** Resources per stack. */
export const MAX_RESOURCES = 500;
/** Outputs per stack. */
export const MAX_OUTPUTS = 200;
/**
 * Template body size, for a template uploaded through S3 (as the CDK deploys large templates):
 * 1 MB, which the CDK itself checks as 1,000,000 characters (aws-cdk-lib core, TEMPLATE_BODY_MAXIMUM_SIZE).
 */
export const MAX_TEMPLATE_BYTES = 1_000_000;

/** The context key with which the CDK's own resource-limit check is set (0 turns it off). */
export const STACK_RESOURCE_LIMIT_CONTEXT = '@aws-cdk/core:stackResourceLimit';

export type LimitName = 'resources' | 'outputs' | 'template bytes';

export interface TemplateCounts {
  /** Minified JSON, in bytes. */
  readonly bytes: number;
  readonly resources: number;
  readonly outputs: number;
}

/** The limits a template breaks, if any. */
export function brokenLimits(counts: TemplateCounts): LimitName[] {
  const broken: LimitName[] = [];
  if (counts.resources > MAX_RESOURCES) broken.push('resources');
  if (counts.outputs > MAX_OUTPUTS) broken.push('outputs');
  if (counts.bytes > MAX_TEMPLATE_BYTES) broken.push('template bytes');
  return broken;
}
