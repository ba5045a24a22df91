// Which stack each user of a users file goes to, within CloudFormation's limits, so that a file of
// thousands of users deploys without anyone thinking about those limits.
//
// The rule (docs/GITOPS.md, "Sharding"):
// 1. The number of stacks N is `stacks:` in the file when it is set (pinned). Otherwise it is the
//    smallest N that fills no stack past half of any limit on average, raised until every stack
//    fits (the auto rule).
// 2. A user goes to the stack with the highest score sha256(key + "#" + i) among i = 0 … N-1
//    (rendezvous hashing), where key is the user's identity: account, identity region, namespace
//    and user name.
// So a user's stack depends on its own key and N only: adding or removing another user never moves
// it. When N changes, the only users that move are those that go to a new stack (N grows) or
// come from a removed one (N shrinks); the stacks deploy from the last to the first, so that a
// moving user is adopted by its new stack before its old stack lets go of it.
// 3. The file's managed groups go into one stack of their own, `<stackName>-groups`, only when
//    there are any; the user stacks with members of those groups deploy after it. Groups never
//    change N: the auto rule counts the users without their `Groups` lists, and raises N for them
//    only if a stack would otherwise break a limit (which the auto rule's half-full stacks leave
//    no room for in practice). So adding groups and memberships moves no user.
//
// It must not import aws-cdk-lib: `plan` assigns stacks without synthesizing anything.
import { createHash } from 'node:crypto';
import type { DeclaredGroup, DeclaredUser, UsersFile } from './users-file';

/** CloudFormation's limits on one stack. */
export interface StackCost {
  readonly resources: number;
  readonly outputs: number;
  /** Template size in bytes, as the CDK writes it (indented JSON) and checks it. */
  readonly templateBytes: number;
}

export const STACK_LIMITS: StackCost = {
  resources: 500,
  outputs: 200,
  // CloudFormation takes 1 MB from S3; the CDK warns past 1,000,000 characters (aws-cdk-lib's
  // TEMPLATE_BODY_MAXIMUM_SIZE): the stricter of the two.
  templateBytes: 1_000_000,
};

/**
 * What every stack holds besides its users: the handler and the Provider framework's function,
 * their two roles and two policies and two log groups, and CDKMetadata: 9 resources. The bytes are
 * an upper bound for one namespace; each further namespace adds NAMESPACE_BYTES. Checked against
 * a synthesized stack in test/sharding.test.ts.
 */
export const FIXED_STACK_COST: StackCost = { resources: 9, outputs: 0, templateBytes: 16_000 };
/** The handler's QuickSight policy grows by one resource ARN per (account, identity region, namespace). */
export const NAMESPACE_BYTES = 400;
/**
 * What a stack with groups or memberships adds to its handler's policy: the group actions on
 * `group/*` and ListUserGroups on `user/*` of the first account and identity region (an upper
 * bound, checked against synthesized stacks in test/sharding.test.ts).
 */
export const GROUP_GRANT_BYTES = 2_000;
/** …and for each further account and identity region, two more ARNs. */
export const GROUP_SCOPE_BYTES = 800;

/** How full the auto rule fills a stack on average: room for the hash's imbalance and for growth. */
export const AUTO_FILL = 0.5;

export interface StackAssignment {
  /** 0 … stackCount-1. */
  readonly index: number;
  /** The stack's name: the file's stackName for the first, stackName-<index> for the others. */
  readonly name: string;
  readonly users: DeclaredUser[];
  /** The estimated cost, fixed part included (an upper bound of what synthesizes). */
  readonly cost: StackCost;
}

/** The stack of the file's managed groups. */
export interface GroupsStackAssignment {
  /** `<stackName>-groups`. */
  readonly name: string;
  /** The managed groups (`managed: false` groups are no stack's: the user stacks import them). */
  readonly groups: DeclaredGroup[];
  /** The estimated cost, fixed part included (an upper bound of what synthesizes). */
  readonly cost: StackCost;
}

export interface Sharding {
  /** The number of user stacks (the groups stack aside). */
  readonly stackCount: number;
  /** Whether the file pins the number of stacks. */
  readonly pinned: boolean;
  /** The user stacks. */
  readonly stacks: StackAssignment[];
  /** The groups stack, when the file declares managed groups. */
  readonly groupsStack?: GroupsStackAssignment;
}

export class ShardingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShardingError';
  }
}

export function stackNameOf(stackName: string, index: number): string {
  return index === 0 ? stackName : `${stackName}-${index}`;
}

/** The name of the stack of a file's managed groups. */
export function groupsStackNameOf(stackName: string): string {
  return `${stackName}-groups`;
}

/** The stack index of a user key among `stackCount` stacks (rendezvous hashing). */
export function stackIndexOf(key: string, stackCount: number): number {
  let best = 0;
  let bestScore = -1n;
  for (let i = 0; i < stackCount; i++) {
    const score = createHash('sha256').update(`${key}#${i}`).digest().readBigUInt64BE(0);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Assigns every user of the file to a stack, and the managed groups to theirs; throws a
 * ShardingError when a pinned count is too small, or the groups do not fit one stack.
 */
export function assignStacks(file: UsersFile): Sharding {
  const costs = new Map(file.users.map((user) => [user, userCost(user, file.stackName)]));
  const groupsStack = assignGroups(file);
  if (file.stacks !== undefined) {
    const sharding = shard(file, file.stacks, costs, true);
    const over = sharding.stacks.filter((s) => brokenLimits(s.cost).length > 0);
    if (over.length > 0) {
      const auto = autoStackCount(file, costs);
      throw new ShardingError(`${file.path}: stacks: ${file.stacks} is too few for these users: ${over.map((s) => `${s.name} would exceed ${brokenLimits(s.cost).map((l) => describeLimit(l, s.cost)).join(' and ')}`).join('; ')}. Set stacks: ${auto} (what the file would get without a pinned count); users then move only to the new stacks.`);
    }
    return { ...sharding, groupsStack };
  }
  return { ...shard(file, autoStackCount(file, costs), costs, false), groupsStack };
}

/** The groups stack: every managed group of the file, in one stack; undefined when there are none. */
function assignGroups(file: UsersFile): GroupsStackAssignment | undefined {
  const groups = file.groups.filter((g) => g.managed);
  if (groups.length === 0) return undefined;
  const name = groupsStackNameOf(file.stackName);
  const groupCosts = sum(groups.map((g) => groupCost(g, name)));
  const cost: StackCost = {
    resources: FIXED_STACK_COST.resources + groupCosts.resources,
    outputs: FIXED_STACK_COST.outputs + groupCosts.outputs,
    templateBytes: FIXED_STACK_COST.templateBytes + groupGrantBytes(groups.map((g) => g.spec)) + groupCosts.templateBytes,
  };
  const broken = brokenLimits(cost);
  if (broken.length > 0) {
    throw new ShardingError(`${file.path}: the ${groups.length.toLocaleString('en-US')} managed groups do not fit one stack: ${name} would exceed ${broken.map((l) => describeLimit(l, cost)).join(' and ')}. A file's managed groups go in one stack: declare fewer groups in this file (or split it), or mark the groups another app manages \`managed: false\`.`);
  }
  return { name, groups, cost };
}

/**
 * The auto rule: half full on average on every limit, then raised until every stack fits. The
 * average counts the users without their groups, so that memberships never change the number of
 * stacks (and move no user) unless a stack would break a limit without more stacks.
 */
function autoStackCount(file: UsersFile, costs: Map<DeclaredUser, StackCost>): number {
  const total = sum(file.users.map((user) => userCost(user, file.stackName, { withoutGroups: true })));
  const room = (limit: keyof StackCost) => (STACK_LIMITS[limit] - FIXED_STACK_COST[limit] - namespaceBytes(file.users, limit)) * AUTO_FILL;
  let count = Math.max(1, ...(['resources', 'outputs', 'templateBytes'] as const).map((limit) => Math.ceil(total[limit] / room(limit))));
  while (shard(file, count, costs, false).stacks.some((s) => brokenLimits(s.cost).length > 0)) count += 1;
  return count;
}

function shard(file: UsersFile, stackCount: number, costs: Map<DeclaredUser, StackCost>, pinned: boolean): Sharding {
  const members: DeclaredUser[][] = Array.from({ length: stackCount }, () => []);
  for (const user of file.users) members[stackIndexOf(user.key, stackCount)].push(user);
  const stacks = members.map((users, index) => {
    const name = stackNameOf(file.stackName, index);
    const userCosts = sum(users.map((u) => costs.get(u)!));
    return {
      index,
      name,
      users,
      cost: {
        resources: FIXED_STACK_COST.resources + userCosts.resources,
        outputs: FIXED_STACK_COST.outputs + userCosts.outputs,
        templateBytes: FIXED_STACK_COST.templateBytes + namespaceBytes(users, 'templateBytes') + userCosts.templateBytes
          + groupGrantBytes(users.filter((u) => u.groups.length > 0).map((u) => u.spec)),
      },
    };
  });
  return { stackCount, pinned, stacks };
}

// ---- costs ----

/**
 * What one user adds to its stack: one resource, its outputs (the ARN, and for QUICKSIGHT users
 * the invitation URL), and an upper bound of its bytes in the indented template, computed from
 * what the construct writes (tested against synthesized templates), its `Groups` list included
 * unless `withoutGroups`.
 */
export function userCost(user: DeclaredUser, stackName: string, options: { withoutGroups?: boolean } = {}): StackCost {
  const outputs = user.stackOutputs ? (user.spec.IdentityType === 'QUICKSIGHT' ? 2 : 1) : 0;
  // The construct path appears in the resource's metadata, and the logical id (at most 255
  // characters) twice more in each output.
  const path = `${stackName}/${user.constructId}/Resource/Default`;
  const logicalId = Math.min(255, user.constructId.length + 'Resource'.length + 8);
  const resource = {
    Type: 'Custom::QuickSightUser',
    Properties: {
      ServiceToken: { 'Fn::GetAtt': ['QuickSightUserProviderframeworkonEvent0A69CE2F', 'Arn'] },
      ...user.spec,
      AdoptExistingUser: user.adoptExistingUser ? undefined : 'false',
      Groups: user.groups.length > 0 && !options.withoutGroups ? user.groups : undefined,
    },
    UpdateReplacePolicy: 'Retain',
    DeletionPolicy: 'Retain',
    Metadata: { 'aws:cdk:path': path },
  };
  const output = (what: string) => ({
    Description: `${what} of QuickSight user ${user.userName} (set on the deployment that registers the user, empty after)`,
    Value: { 'Fn::GetAtt': ['x'.repeat(logicalId), 'InvitationUrl'] },
  });
  const bytes = indentedBytes(resource, 2) + logicalId + 8
    + outputs * (indentedBytes(output('Invitation URL'), 2) + 2 * logicalId + 16);
  // Headroom for what the estimate does not model (escaping, the CDK's key order).
  return { resources: 1, outputs, templateBytes: Math.ceil(bytes * 1.05) };
}

/** What one managed group adds to the groups stack: one resource and its bytes (an upper bound, as for users). */
export function groupCost(group: DeclaredGroup, stackName: string): StackCost {
  const resource = {
    Type: 'Custom::QuickSightGroup',
    Properties: {
      ServiceToken: { 'Fn::GetAtt': ['QuickSightUserProviderframeworkonEvent0A69CE2F', 'Arn'] },
      ...group.spec,
      AdoptExistingGroup: group.adoptExistingGroup ? undefined : 'false',
    },
    UpdateReplacePolicy: 'Retain',
    DeletionPolicy: 'Retain',
    Metadata: { 'aws:cdk:path': `${stackName}/${group.constructId}/Resource/Default` },
  };
  const logicalId = Math.min(255, group.constructId.length + 'Resource'.length + 8);
  return { resources: 1, outputs: 0, templateBytes: Math.ceil((indentedBytes(resource, 2) + logicalId + 8) * 1.05) };
}

/** The handler policy's group statements of a stack whose users or groups are in these places. */
function groupGrantBytes(places: Array<{ AwsAccountId: string; IdentityRegion: string }>): number {
  if (places.length === 0) return 0;
  const scopes = new Set(places.map((p) => `${p.AwsAccountId}|${p.IdentityRegion}`));
  return GROUP_GRANT_BYTES + (scopes.size - 1) * GROUP_SCOPE_BYTES;
}

/** The bytes of a value in JSON indented by one space per level, nested `depth` levels deep. */
function indentedBytes(value: unknown, depth: number): number {
  const json = JSON.stringify(value, undefined, 1);
  return Buffer.byteLength(json) + (json.split('\n').length - 1) * depth;
}

function namespaceBytes(users: DeclaredUser[], limit: keyof StackCost): number {
  if (limit !== 'templateBytes') return 0;
  const scopes = new Set(users.map((u) => `${u.spec.AwsAccountId}|${u.spec.IdentityRegion}|${u.spec.Namespace}`));
  return Math.max(0, scopes.size - 1) * NAMESPACE_BYTES;
}

function sum(costs: StackCost[]): StackCost {
  return costs.reduce((a, b) => ({ resources: a.resources + b.resources, outputs: a.outputs + b.outputs, templateBytes: a.templateBytes + b.templateBytes }),
    { resources: 0, outputs: 0, templateBytes: 0 });
}

// ---- limits ----

export type LimitName = keyof StackCost;

export function brokenLimits(cost: StackCost): LimitName[] {
  return (['resources', 'outputs', 'templateBytes'] as const).filter((limit) => cost[limit] > STACK_LIMITS[limit]);
}

export function describeLimit(limit: LimitName, cost: StackCost): string {
  const names: Record<LimitName, string> = { resources: 'resources', outputs: 'outputs', templateBytes: 'template bytes' };
  return `${cost[limit].toLocaleString('en-US')} ${names[limit]} (limit ${STACK_LIMITS[limit].toLocaleString('en-US')})`;
}

/** A synthesized template's cost, counted: what the app checks after synth, and the tests. */
export function templateCost(templateJson: string): StackCost {
  const template = JSON.parse(templateJson) as { Resources?: object; Outputs?: object };
  return {
    resources: Object.keys(template.Resources ?? {}).length,
    outputs: Object.keys(template.Outputs ?? {}).length,
    templateBytes: Buffer.byteLength(templateJson),
  };
}
