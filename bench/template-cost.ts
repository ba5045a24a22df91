// Row 1: what each user costs in the template, and how many users fit in one stack before a
// CloudFormation limit. The per-user cost is marginal, (size at N + step - size at N) / step, so
// the fixed cost of the stack (the handler, roles, log groups) does not blur it; the maximum is
// computed from both and then checked by synthesizing a stack of exactly that size.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { brokenLimits, MAX_OUTPUTS, MAX_RESOURCES, MAX_TEMPLATE_BYTES, type LimitName, type TemplateCounts } from './limits';
import { buildStack, standardUsers, type Way } from './ways';

export interface TemplateCost {
  readonly way: Way;
  readonly outputs: boolean;
  /** The sizes the marginal cost was taken between. */
  readonly measuredAt: readonly [number, number];
  readonly bytesPerUser: number;
  readonly resourcesPerUser: number;
  readonly outputsPerUser: number;
  readonly fixed: TemplateCounts;
  readonly maxUsers: number;
  readonly bindingLimit: LimitName;
  /** The stack synthesized at maxUsers (with the CDK's own resource check on) and at maxUsers + 1. */
  readonly verification?: { readonly atMax: TemplateCounts; readonly brokenAtMax: LimitName[]; readonly beyondMax: TemplateCounts; readonly brokenBeyondMax: LimitName[] };
}

/** Synthesizes `users` standard users the given way and counts the template. */
export function synthCounts(way: Way, users: number, outputs: boolean, resourceLimitCheck = false): TemplateCounts {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-bench-'));
  try {
    const { app, stack } = buildStack(way, standardUsers(users), { outputs, resourceLimitCheck, outdir, builtinValidation: false });
    const template = app.synth().getStackByName(stack.stackName).template as { Resources?: object; Outputs?: object };
    return {
      bytes: Buffer.byteLength(JSON.stringify(template)),
      resources: Object.keys(template.Resources ?? {}).length,
      outputs: Object.keys(template.Outputs ?? {}).length,
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

export function measureTemplateCost(way: Way, outputs: boolean, options: { base: number; step: number; verify: boolean }): TemplateCost {
  const { base, step } = options;
  const low = synthCounts(way, base, outputs);
  const high = synthCounts(way, base + step, outputs);
  const perUser = {
    bytes: (high.bytes - low.bytes) / step,
    resources: (high.resources - low.resources) / step,
    outputs: (high.outputs - low.outputs) / step,
  };
  const fixed: TemplateCounts = {
    bytes: Math.round(low.bytes - base * perUser.bytes),
    resources: Math.round(low.resources - base * perUser.resources),
    outputs: Math.round(low.outputs - base * perUser.outputs),
  };
  const candidates: Array<[LimitName, number]> = [
    ['resources', usersWithin(MAX_RESOURCES, fixed.resources, perUser.resources)],
    ['outputs', usersWithin(MAX_OUTPUTS, fixed.outputs, perUser.outputs)],
    ['template bytes', usersWithin(MAX_TEMPLATE_BYTES, fixed.bytes, perUser.bytes)],
  ];
  const [bindingLimit, maxUsers] = candidates.reduce((min, c) => (c[1] < min[1] ? c : min));

  let verification: TemplateCost['verification'];
  if (options.verify) {
    // At the maximum the CDK's own 500-resource check stays on: the stack must synthesize as is.
    const atMax = synthCounts(way, maxUsers, outputs, true);
    const beyondMax = synthCounts(way, maxUsers + 1, outputs, false);
    verification = { atMax, brokenAtMax: brokenLimits(atMax), beyondMax, brokenBeyondMax: brokenLimits(beyondMax) };
  }
  return {
    way, outputs, measuredAt: [base, base + step],
    bytesPerUser: perUser.bytes, resourcesPerUser: perUser.resources, outputsPerUser: perUser.outputs,
    fixed, maxUsers, bindingLimit, verification,
  };
}

function usersWithin(limit: number, fixed: number, perUser: number): number {
  return perUser > 0 ? Math.floor((limit - fixed) / perUser) : Number.POSITIVE_INFINITY;
}
