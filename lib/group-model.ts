// The rules of QuickSight groups and group memberships, shared by the construct library (synth-time
// validation), the handler (the same checks on the properties it receives) and the GitOps tool (the
// users file). Like model.ts, internal: not exported from lib/index.ts.
import { DEFAULT_NAMESPACE, describeValue, partitionOf, validateUserSpec, type ValidateOptions } from './model';

/** The declared state of one group, in the API's own names (the custom resource's properties). */
export interface GroupSpec {
  readonly AwsAccountId: string;
  readonly Namespace: string;
  readonly IdentityRegion: string;
  readonly GroupName: string;
  readonly Description?: string;
}

export type GroupSpecField = keyof GroupSpec;

/** The declared membership of one member (a user name) in one group. */
export interface MembershipSpec {
  readonly AwsAccountId: string;
  readonly Namespace: string;
  readonly IdentityRegion: string;
  readonly GroupName: string;
  readonly MemberName: string;
}

export type MembershipSpecField = keyof MembershipSpec;

/** The fields that name a group: a change to any of them is another group (a replacement). */
export const GROUP_IDENTITY_FIELDS = ['AwsAccountId', 'Namespace', 'IdentityRegion', 'GroupName'] as const satisfies readonly GroupSpecField[];

/** The construct's prop name (and the users file's field name) for each field of a group or membership. */
export const GROUP_PROP_NAMES: Record<GroupSpecField | MembershipSpecField | 'Groups', string> = {
  AwsAccountId: 'awsAccountId',
  Namespace: 'namespace',
  IdentityRegion: 'identityRegion',
  GroupName: 'groupName',
  Description: 'description',
  MemberName: 'memberName',
  Groups: 'groups',
};

/** One broken rule of a group, a membership or a user's list of groups. */
export interface GroupValidationIssue {
  readonly field: GroupSpecField | MembershipSpecField | 'Groups';
  readonly value: unknown;
  readonly rule: string;
}

/** QuickSight's limit on a group's description. */
export const MAX_GROUP_DESCRIPTION_LENGTH = 512;
/** QuickSight's limit on a member name (a user name). */
export const MAX_MEMBER_NAME_LENGTH = 256;

const GROUP_NAME_PATTERN = /^[\u0020-\u00FF]+$/;

/** Why a group name breaks the API model's rules, or undefined when it is valid. */
export function groupNameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string, not ${typeof value}`;
  if (value.length === 0) return 'must be 1 or more characters';
  if (!GROUP_NAME_PATTERN.test(value)) return 'may only contain characters U+0020 to U+00FF (pattern [\\u0020-\\u00FF]+), no control characters';
  // A dot segment in the request path (/groups/../members) is resolved away by URL handling.
  if (value === '.' || value === '..') return 'must not be "." or ".."';
  return undefined;
}

/**
 * Checks a declared group against the API model's constraints. The account, namespace and region
 * follow the same rules as a user's. Returns every broken rule.
 */
export function validateGroupSpec(spec: Partial<Record<GroupSpecField, unknown>>, options: ValidateOptions = {}): GroupValidationIssue[] {
  const unresolved = options.isUnresolved ?? (() => false);
  const issues: GroupValidationIssue[] = [...locationIssues(spec, options)];
  const name = spec.GroupName;
  if (name === undefined || name === '') issues.push({ field: 'GroupName', value: name, rule: name === '' ? 'must be 1 or more characters' : 'is required' });
  else if (!unresolved(name)) {
    const problem = groupNameProblem(name);
    if (problem) issues.push({ field: 'GroupName', value: name, rule: problem });
  }
  const description = spec.Description;
  if (description !== undefined && !unresolved(description)) {
    if (typeof description !== 'string') issues.push({ field: 'Description', value: description, rule: `must be a string, not ${typeof description}` });
    else if (description.length < 1 || description.length > MAX_GROUP_DESCRIPTION_LENGTH) {
      issues.push({ field: 'Description', value: description, rule: `must be 1 to ${MAX_GROUP_DESCRIPTION_LENGTH} characters (it has ${description.length}); leave it out for no description` });
    }
  }
  return issues;
}

/** Checks a declared membership: the group as a group's name, the member as a user name. */
export function validateMembershipSpec(spec: Partial<Record<MembershipSpecField, unknown>>, options: ValidateOptions = {}): GroupValidationIssue[] {
  const unresolved = options.isUnresolved ?? (() => false);
  const issues: GroupValidationIssue[] = [...locationIssues(spec, options)];
  for (const field of ['GroupName', 'MemberName'] as const) {
    const value = spec[field];
    if (value === undefined || value === '') {
      issues.push({ field, value, rule: 'is required' });
      continue;
    }
    if (unresolved(value)) continue;
    const problem = field === 'GroupName' ? groupNameProblem(value) : memberNameProblem(value);
    if (problem) issues.push({ field, value, rule: problem });
  }
  return issues;
}

/** Why a member name (a user name, `RoleName/SessionName` for role sessions) is not valid. */
export function memberNameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string, not ${typeof value}`;
  if (value.length === 0) return 'must be 1 or more characters';
  if (value.length > MAX_MEMBER_NAME_LENGTH) return `must be at most ${MAX_MEMBER_NAME_LENGTH} characters (it has ${value.length})`;
  if (!GROUP_NAME_PATTERN.test(value)) return 'may only contain characters U+0020 to U+00FF (pattern [\\u0020-\\u00FF]+), no control characters';
  if (value.split('/').length > 2 || value.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    return 'must be a user name: no "." or ".." segment, and at most one "/" (RoleName/SessionName)';
  }
  return undefined;
}

/**
 * Checks a user's list of groups (the user resource's `Groups`): each a valid group name, each
 * once. Returns every broken rule.
 */
export function validateGroupNames(groups: unknown, options: ValidateOptions = {}): GroupValidationIssue[] {
  const unresolved = options.isUnresolved ?? (() => false);
  if (groups === undefined || unresolved(groups)) return [];
  if (!Array.isArray(groups)) return [{ field: 'Groups', value: groups, rule: 'must be a list of group names' }];
  const issues: GroupValidationIssue[] = [];
  const seen = new Set<string>();
  for (const name of groups) {
    if (unresolved(name)) continue;
    const problem = groupNameProblem(name);
    if (problem) issues.push({ field: 'Groups', value: name, rule: `has a group name that ${problem}` });
    else if (seen.has(name as string)) issues.push({ field: 'Groups', value: name, rule: 'names that group more than once' });
    seen.add(name as string);
  }
  return issues;
}

/** Renders an issue as one sentence: the field, the value given, and the rule. */
export function formatGroupIssue(issue: GroupValidationIssue, inPropTerms = false): string {
  return `${inPropTerms ? GROUP_PROP_NAMES[issue.field] : issue.field} ${describeValue(issue.value)} ${issue.rule}`;
}

function locationIssues(spec: Partial<Record<'AwsAccountId' | 'Namespace' | 'IdentityRegion', unknown>>, options: ValidateOptions): GroupValidationIssue[] {
  // The same rules as a user's location: run the user rules on a spec that only has these three.
  const fields = ['AwsAccountId', 'Namespace', 'IdentityRegion'] as const;
  return validateUserSpec({ AwsAccountId: spec.AwsAccountId, Namespace: spec.Namespace, IdentityRegion: spec.IdentityRegion }, options)
    .filter((issue): issue is typeof issue & { field: (typeof fields)[number] } => (fields as readonly string[]).includes(issue.field))
    .map((issue) => ({ field: issue.field, value: issue.value, rule: issue.rule }));
}

// ---- addresses ----

export interface GroupAddress {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly namespace: string;
  readonly groupName: string;
}

const GROUP_ARN_PATTERN = /^arn:(aws[a-z-]*):quicksight:([a-z0-9-]+):([0-9]{12}):group\/([a-zA-Z0-9._-]+)\/(.+)$/;

export function parseGroupArn(arn: string): GroupAddress | undefined {
  const match = GROUP_ARN_PATTERN.exec(arn);
  if (!match) return undefined;
  const [, partition, region, accountId, namespace, groupName] = match;
  if (namespace === '.' || namespace === '..' || groupNameProblem(groupName) !== undefined) return undefined;
  return { partition, region, accountId, namespace, groupName };
}

export function formatGroupArn(address: GroupAddress): string {
  return `arn:${address.partition}:quicksight:${address.region}:${address.accountId}:group/${address.namespace}/${address.groupName}`;
}

export function groupAddressOf(spec: Pick<GroupSpec, 'AwsAccountId' | 'Namespace' | 'IdentityRegion' | 'GroupName'>): GroupAddress {
  return {
    partition: partitionOf(spec.IdentityRegion),
    region: spec.IdentityRegion,
    accountId: spec.AwsAccountId,
    namespace: spec.Namespace ?? DEFAULT_NAMESPACE,
    groupName: spec.GroupName,
  };
}

/** Sorted, without repeats: the form of a user resource's `Groups` property. */
export function normalizeGroupNames(names: readonly string[]): string[] {
  return [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The memberships to add and to remove to go from one list of group names to another. */
export function membershipChange(from: readonly string[], to: readonly string[]): { add: string[]; remove: string[] } {
  const before = new Set(from);
  const after = new Set(to);
  return { add: normalizeGroupNames(to.filter((g) => !before.has(g))), remove: normalizeGroupNames(from.filter((g) => !after.has(g))) };
}
