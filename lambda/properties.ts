// Reading the custom resource's properties. CloudFormation hands every property over as a string
// ("true", "12"), whatever type the template wrote, and a raw template can send anything at all:
// this turns them into a UserSpec and checks it with the same rules the construct applies at synth.
import {
  formatGroupIssue, groupNameProblem, normalizeGroupNames, validateGroupNames, validateGroupSpec, validateMembershipSpec,
  type GroupSpec, type GroupSpecField, type MembershipSpec, type MembershipSpecField,
} from '../lib/group-model';
import { formatIssue, validateTags, validateUserSpec, type UserSpec, type UserSpecField, type UserTag } from '../lib/model';
import { HandlerError } from './errors';

/** The properties the construct writes, besides the UserSpec fields. */
export const ADOPT_EXISTING_USER = 'AdoptExistingUser';
/** The user's groups: the sorted names of the groups (of its namespace) it is declared a member of. */
export const GROUPS = 'Groups';

const SPEC_FIELDS: UserSpecField[] = [
  'AwsAccountId', 'Namespace', 'IdentityRegion', 'Email', 'IdentityType', 'UserRole', 'IamArn', 'SessionName',
  'UserName', 'CustomPermissionsName', 'ExternalLoginFederationProviderType', 'CustomFederationProviderUrl',
  'ExternalLoginId', 'Tags',
];

export interface DeclaredUser {
  readonly spec: UserSpec;
  readonly adoptExistingUser: boolean;
  /** The groups the user is declared a member of, sorted. */
  readonly groups: string[];
}

/** Reads and validates the declared user; throws a HandlerError naming every broken rule. */
export function readDeclaredUser(properties: Record<string, unknown> | undefined): DeclaredUser {
  const props = properties ?? {};
  const problems = unknownProperties(props, [...SPEC_FIELDS, ADOPT_EXISTING_USER, GROUPS], 'Custom::QuickSightUser');
  const spec = coerceSpec(props);
  problems.push(...validateUserSpec(spec).map((issue) => formatIssue(issue)));
  const adopt = props[ADOPT_EXISTING_USER];
  const adoptText = adopt === undefined ? 'true' : String(adopt).toLowerCase();
  if (adoptText !== 'true' && adoptText !== 'false') {
    problems.push(`${ADOPT_EXISTING_USER} ${JSON.stringify(adopt)} must be "true" or "false"`);
  }
  const groups = coerceGroups(props[GROUPS]);
  problems.push(...validateGroupNames(groups).map((issue) => formatGroupIssue(issue)));
  if (spec.IdentityType === 'IAM_IDENTITY_CENTER' && Array.isArray(groups) && groups.length > 0) {
    problems.push('Groups is not accepted when IdentityType is IAM_IDENTITY_CENTER: QuickSight refuses group changes for identities managed by IAM Identity Center (manage the membership there)');
  }
  if (problems.length > 0) {
    const who = typeof spec.UserName === 'string' ? ` '${spec.UserName}'` : '';
    throw new HandlerError(`Invalid properties for QuickSight user${who}: ${problems.join('; ')}.`);
  }
  return { spec: spec as UserSpec, adoptExistingUser: adoptText === 'true', groups: normalizeGroupNames((groups as string[] | undefined) ?? []) };
}

/** The groups of an Update's previous properties, without judging them (names of the wrong shape are left out). */
export function readPreviousGroups(properties: Record<string, unknown> | undefined): string[] {
  const groups = coerceGroups(properties !== null && typeof properties === 'object' ? properties[GROUPS] : undefined);
  return Array.isArray(groups) ? normalizeGroupNames(groups.filter((g): g is string => groupNameProblem(g) === undefined)) : [];
}

function coerceGroups(value: unknown): unknown {
  if (value === undefined || value === '') return undefined;
  return Array.isArray(value) ? value.map(coerceScalar) : value;
}

// ---- groups and memberships ----

export const ADOPT_EXISTING_GROUP = 'AdoptExistingGroup';
const GROUP_FIELDS: GroupSpecField[] = ['AwsAccountId', 'Namespace', 'IdentityRegion', 'GroupName', 'Description'];
const MEMBERSHIP_FIELDS: MembershipSpecField[] = ['AwsAccountId', 'Namespace', 'IdentityRegion', 'GroupName', 'MemberName'];

export interface DeclaredGroup {
  readonly spec: GroupSpec;
  readonly adoptExistingGroup: boolean;
}

/** Reads and validates a Custom::QuickSightGroup's properties; throws a HandlerError naming every broken rule. */
export function readDeclaredGroup(properties: Record<string, unknown> | undefined): DeclaredGroup {
  const props = properties ?? {};
  const problems = unknownProperties(props, [...GROUP_FIELDS, ADOPT_EXISTING_GROUP], 'Custom::QuickSightGroup');
  const spec = coerceFields(props, GROUP_FIELDS);
  problems.push(...validateGroupSpec(spec).map((issue) => formatGroupIssue(issue)));
  const adopt = props[ADOPT_EXISTING_GROUP];
  const adoptText = adopt === undefined ? 'true' : String(adopt).toLowerCase();
  if (adoptText !== 'true' && adoptText !== 'false') problems.push(`${ADOPT_EXISTING_GROUP} ${JSON.stringify(adopt)} must be "true" or "false"`);
  if (problems.length > 0) {
    const which = typeof spec.GroupName === 'string' ? ` '${spec.GroupName}'` : '';
    throw new HandlerError(`Invalid properties for QuickSight group${which}: ${problems.join('; ')}.`);
  }
  return { spec: spec as unknown as GroupSpec, adoptExistingGroup: adoptText === 'true' };
}

/** The previous properties of a group's Update, without judging them. */
export function readPreviousGroup(properties: Record<string, unknown> | undefined): Partial<GroupSpec> {
  const spec = coerceFields(properties !== null && typeof properties === 'object' ? properties : {}, GROUP_FIELDS);
  for (const field of GROUP_FIELDS) if (typeof spec[field] !== 'string') delete spec[field];
  return spec as Partial<GroupSpec>;
}

/** Reads and validates a Custom::QuickSightGroupMembership's properties. */
export function readDeclaredMembership(properties: Record<string, unknown> | undefined): MembershipSpec {
  const props = properties ?? {};
  const problems = unknownProperties(props, MEMBERSHIP_FIELDS, 'Custom::QuickSightGroupMembership');
  const spec = coerceFields(props, MEMBERSHIP_FIELDS);
  problems.push(...validateMembershipSpec(spec).map((issue) => formatGroupIssue(issue)));
  if (problems.length > 0) throw new HandlerError(`Invalid properties for QuickSight group membership: ${problems.join('; ')}.`);
  return spec as unknown as MembershipSpec;
}

function unknownProperties(props: Record<string, unknown>, fields: string[], type: string): string[] {
  const known = new Set([...fields, 'ServiceToken']);
  return Object.keys(props).filter((key) => !known.has(key)).map((key) => `${key} is not a property of ${type}`);
}

/** The fields, scalars as strings; an empty string is how a template leaves an optional property unset (Fn::If, parameters). */
function coerceFields<F extends string>(props: Record<string, unknown>, fields: F[]): Partial<Record<F, unknown>> {
  const spec: Partial<Record<F, unknown>> = {};
  for (const field of fields) {
    const value = coerceScalar(props[field]);
    if (value !== undefined && value !== '') spec[field] = value;
  }
  return spec;
}

/**
 * Reads the previous properties of an Update without judging them: they only serve to tell what
 * changed. They are not always ones that were deployed: the rollback of an update the handler
 * refused sends that update's invalid properties back as the previous ones, so a value of the
 * wrong shape is left out (as if unset) rather than allowed to break the rollback.
 */
export function readPreviousUser(properties: Record<string, unknown> | undefined): UserSpec {
  const spec = coerceSpec(properties !== null && typeof properties === 'object' ? properties : {});
  for (const field of SPEC_FIELDS) {
    const value = spec[field];
    // Tags are also checked against the rules: their keys are what UntagResource would be sent.
    if (value !== undefined && !(field === 'Tags' ? validateTags(value).length === 0 : typeof value === 'string')) delete spec[field];
  }
  return spec as UserSpec;
}

function coerceSpec(props: Record<string, unknown>): Partial<Record<UserSpecField, unknown>> {
  const spec: Partial<Record<UserSpecField, unknown>> = coerceFields(props, SPEC_FIELDS.filter((field) => field !== 'Tags'));
  const tags = coerceTags(props.Tags);
  if (tags !== undefined && tags !== '') spec.Tags = tags;
  return spec;
}

function coerceScalar(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

function coerceTags(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  if (value.length === 0) return undefined;
  return value.map((tag): UserTag | unknown => {
    if (tag === null || typeof tag !== 'object') return tag;
    const { Key, Value } = tag as Record<string, unknown>;
    return { Key: coerceScalar(Key), Value: coerceScalar(Value) };
  });
}
