// The lifecycle of groups (Custom::QuickSightGroup) and of the memberships of users the app does not
// manage (Custom::QuickSightGroupMembership), and the memberships a user resource carries (its
// Groups property). The physical id of a group is its ARN; Data carries Arn, GroupName, PrincipalId.
//
// QuickSight cannot tag a group (TagResource takes datasets, data sources, dashboards, templates,
// topics and users), so a group carries no owner marker. The rules follow from that: a group is
// created, or adopted when it exists; it is deleted only by an intended Delete (a successful
// deployment stopped declaring it, or the stack is deleted), never by a rollback, which cannot tell
// a group the failed deployment created from one it adopted: a rollback leaves it in place (the
// next deployment adopts it). And it is never deleted while another resource of the stack holds
// it (a group moved to another construct id: the new resource adopts it, then the old one's
// cleanup Delete comes).
import {
  formatGroupArn, groupAddressOf, GROUP_IDENTITY_FIELDS, membershipChange, parseGroupArn,
  type GroupAddress, type GroupSpec, type MembershipSpec,
} from '../lib/group-model';
import type { UserAddress } from '../lib/model';
import { HandlerError, isServiceError } from './errors';
import type { Group, QuickSightUsers } from './quicksight';

/** What the group steps need from the event besides the client. */
export interface GroupStepContext {
  readonly log: (fields: { userName?: string; outcome: string }) => void;
  /** Whether this Delete is part of a rollback; throws a HandlerError when it cannot tell. */
  readonly deleteIntent: () => Promise<'rollback' | 'intended'>;
  /**
   * The logical ids of the other resources of this stack (not being deleted) that hold one of
   * these physical ids; throws a HandlerError when the stack's resources cannot be listed.
   */
  readonly otherHolders: (physicalResourceIds: readonly string[]) => Promise<string[]>;
}

export interface GroupOutcome {
  readonly PhysicalResourceId: string;
  readonly Data?: { Arn: string; GroupName: string; PrincipalId: string };
}

// ---- GROUPS ----

export async function onGroupCreate(api: QuickSightUsers, spec: GroupSpec, adoptExistingGroup: boolean, ctx: GroupStepContext): Promise<GroupOutcome> {
  const address = groupAddressOf(spec);
  try {
    const group = await api.createGroup(address, spec.Description);
    ctx.log({ outcome: `created group '${address.groupName}'` });
    return groupOutcome(address, group);
  } catch (error) {
    if (!isServiceError(error, 'ResourceExistsException')) throw error;
  }
  if (!adoptExistingGroup) {
    throw new HandlerError(`QuickSight group '${address.groupName}' already exists in namespace '${address.namespace}' of account ${address.accountId}, and adoptExistingGroup is false: delete that group, declare another name, or set adoptExistingGroup: true to manage the existing group.`);
  }
  let group = await api.describeGroup(address);
  if (spec.Description !== undefined && group.Description !== spec.Description) group = await api.updateGroup(address, spec.Description);
  ctx.log({ outcome: `adopted existing group '${address.groupName}'` });
  return groupOutcome(address, group);
}

export async function onGroupUpdate(
  api: QuickSightUsers, physicalResourceId: string, previous: Partial<GroupSpec>, spec: GroupSpec, adoptExistingGroup: boolean, ctx: GroupStepContext,
): Promise<GroupOutcome> {
  const current = parseGroupArn(physicalResourceId);
  const address = groupAddressOf(spec);
  if (!current || GROUP_IDENTITY_FIELDS.some((field) => previous[field] !== spec[field]) || formatGroupArn(current) !== formatGroupArn(address)) {
    // Another group: CloudFormation deletes the old one (the old id) once the whole update succeeds.
    return onGroupCreate(api, spec, adoptExistingGroup, ctx);
  }
  try {
    const group = spec.Description !== undefined && spec.Description !== previous.Description
      ? await api.updateGroup(address, spec.Description)
      : await api.describeGroup(address);
    ctx.log({ outcome: `updated group '${address.groupName}'` });
    return { ...groupOutcome(address, group), PhysicalResourceId: physicalResourceId };
  } catch (error) {
    if (!isServiceError(error, 'ResourceNotFoundException')) throw error;
    // Deleted outside the stack: created again, as declared.
    ctx.log({ outcome: `group '${address.groupName}' was missing; creating it again` });
    const created = await onGroupCreate(api, spec, true, ctx);
    return { ...created, PhysicalResourceId: physicalResourceId };
  }
}

export async function onGroupDelete(api: QuickSightUsers, physicalResourceId: string, ctx: GroupStepContext): Promise<GroupOutcome> {
  const address = parseGroupArn(physicalResourceId);
  if (!address) {
    ctx.log({ outcome: 'nothing to delete: the physical id is not a QuickSight group ARN' });
    return { PhysicalResourceId: physicalResourceId };
  }
  if (await ctx.deleteIntent() === 'rollback') {
    ctx.log({ outcome: `left group '${address.groupName}' in place: a rollback cannot tell a group the failed deployment created from one it adopted (groups carry no owner marker); the next deployment adopts it` });
    return { PhysicalResourceId: physicalResourceId };
  }
  const holders = await ctx.otherHolders([physicalResourceId]);
  if (holders.length > 0) {
    ctx.log({ outcome: `left group '${address.groupName}' in place: ${holders.join(', ')} of this stack manages it now` });
    return { PhysicalResourceId: physicalResourceId };
  }
  try {
    await api.deleteGroup(address);
  } catch (error) {
    if (!isServiceError(error, 'ResourceNotFoundException')) throw error;
    ctx.log({ outcome: `group '${address.groupName}' was already deleted` });
    return { PhysicalResourceId: physicalResourceId };
  }
  ctx.log({ outcome: `deleted group '${address.groupName}'` });
  return { PhysicalResourceId: physicalResourceId };
}

function groupOutcome(address: GroupAddress, group: Group): GroupOutcome {
  const arn = group.Arn ?? formatGroupArn(address);
  return { PhysicalResourceId: arn, Data: { Arn: arn, GroupName: group.GroupName ?? address.groupName, PrincipalId: group.PrincipalId ?? '' } };
}

// ---- MEMBERSHIPS OF USERS THE APP DOES NOT MANAGE ----
//
// The physical id names the group and the member, and whether the resource added the membership or
// found it there: `<group ARN>#member=<member name, URI-encoded>` (added), with `&found` appended
// (found). A rollback removes only a membership the failed deployment added.

const MEMBER_MARK = '#member=';
const FOUND_MARK = '&found';

export function membershipIdOf(group: GroupAddress, memberName: string, found: boolean): string {
  return `${formatGroupArn(group)}${MEMBER_MARK}${encodeURIComponent(memberName)}${found ? FOUND_MARK : ''}`;
}

export function parseMembershipId(id: string): { group: GroupAddress; memberName: string; found: boolean } | undefined {
  const at = id.lastIndexOf(MEMBER_MARK);
  if (at < 0) return undefined;
  const group = parseGroupArn(id.slice(0, at));
  let member = id.slice(at + MEMBER_MARK.length);
  const found = member.endsWith(FOUND_MARK);
  if (found) member = member.slice(0, -FOUND_MARK.length);
  try {
    return group && member !== '' ? { group, memberName: decodeURIComponent(member), found } : undefined;
  } catch {
    return undefined;
  }
}

export async function onMembershipCreate(api: QuickSightUsers, spec: MembershipSpec, ctx: GroupStepContext): Promise<GroupOutcome> {
  const group = groupAddressOf(spec);
  if (await api.isMember(group, spec.MemberName)) {
    ctx.log({ userName: spec.MemberName, outcome: `already a member of group '${group.groupName}'` });
    return { PhysicalResourceId: membershipIdOf(group, spec.MemberName, true) };
  }
  await addMembers(api, group.namespace, spec.MemberName, [group.groupName], groupAddressLike(group), ctx);
  ctx.log({ userName: spec.MemberName, outcome: `added to group '${group.groupName}'` });
  return { PhysicalResourceId: membershipIdOf(group, spec.MemberName, false) };
}

export async function onMembershipUpdate(api: QuickSightUsers, physicalResourceId: string, spec: MembershipSpec, ctx: GroupStepContext): Promise<GroupOutcome> {
  const current = parseMembershipId(physicalResourceId);
  const group = groupAddressOf(spec);
  if (current && current.memberName === spec.MemberName && formatGroupArn(current.group) === formatGroupArn(group)) {
    // Nothing QuickSight knows changed (the service token, say): the membership stays as it is.
    return { PhysicalResourceId: physicalResourceId };
  }
  return onMembershipCreate(api, spec, ctx);
}

export async function onMembershipDelete(api: QuickSightUsers, physicalResourceId: string, ctx: GroupStepContext): Promise<GroupOutcome> {
  const membership = parseMembershipId(physicalResourceId);
  if (!membership) {
    ctx.log({ outcome: 'nothing to delete: the physical id is not a group membership' });
    return { PhysicalResourceId: physicalResourceId };
  }
  const { group, memberName, found } = membership;
  if (found && await ctx.deleteIntent() === 'rollback') {
    ctx.log({ userName: memberName, outcome: `left in group '${group.groupName}': the membership was there before the rolled-back deployment` });
    return { PhysicalResourceId: physicalResourceId };
  }
  const key = membershipIdOf(group, memberName, false);
  if ((await ctx.otherHolders([key, `${key}${FOUND_MARK}`])).length > 0) {
    ctx.log({ userName: memberName, outcome: `left in group '${group.groupName}': another resource of this stack declares the membership now` });
    return { PhysicalResourceId: physicalResourceId };
  }
  await removeMembers(api, group.namespace, memberName, [group.groupName], groupAddressLike(group));
  ctx.log({ userName: memberName, outcome: `removed from group '${group.groupName}'` });
  return { PhysicalResourceId: physicalResourceId };
}

// ---- MEMBERSHIPS A USER RESOURCE CARRIES ----

/** What the membership steps of a user resource need: the log, and whether the stack rolls back. */
export interface MembershipContext extends Pick<GroupStepContext, 'log'> {
  /** Whether the stack is rolling back (false when its status cannot be read). */
  readonly rollingBack?: () => Promise<boolean>;
}

/** Where the groups of a user are: the user's account, region and namespace. */
interface GroupPlace {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

function groupAddressLike(address: GroupAddress | UserAddress): GroupPlace {
  return { partition: address.partition, region: address.region, accountId: address.accountId };
}

/** A user registered by this event joins every declared group (one call per group). */
export async function joinGroups(api: QuickSightUsers, user: UserAddress, groups: readonly string[], ctx: MembershipContext): Promise<void> {
  if (groups.length === 0) return;
  await addMembers(api, user.namespace, user.userName, groups, groupAddressLike(user), ctx);
  ctx.log({ userName: user.userName, outcome: `added to ${describeGroups(groups)}` });
}

/**
 * An adopted user joins the declared groups it is not in yet; groups it is in that the declaration
 * never named are left alone.
 */
export async function joinMissingGroups(api: QuickSightUsers, user: UserAddress, groups: readonly string[], ctx: MembershipContext): Promise<void> {
  if (groups.length === 0) return;
  const current = new Set(await api.listUserGroups(user));
  await joinGroups(api, user, groups.filter((g) => !current.has(g)), ctx);
}

/**
 * An update: only the difference between the previous and the declared groups. A membership is
 * removed only because the declaration that named its group stopped naming it.
 */
export async function changeGroups(
  api: QuickSightUsers, user: UserAddress, previous: readonly string[], groups: readonly string[], ctx: MembershipContext,
): Promise<void> {
  const { add, remove } = membershipChange(previous, groups);
  await addMembers(api, user.namespace, user.userName, add, groupAddressLike(user), ctx);
  await removeMembers(api, user.namespace, user.userName, remove, groupAddressLike(user));
  if (add.length > 0 || remove.length > 0) {
    ctx.log({ userName: user.userName, outcome: `groups: ${[...add.map((g) => `+${g}`), ...remove.map((g) => `-${g}`)].join(' ')}` });
  }
}

/**
 * Makes the user a member of each group. A group that does not exist fails the event, naming it;
 * except in a rollback, which puts back a membership of a group deleted since (the groups stack
 * deploys first, and its cleanup deleted it): there is nothing to put it back in, and failing would
 * leave the stack in UPDATE_ROLLBACK_FAILED.
 */
async function addMembers(
  api: QuickSightUsers, namespace: string, memberName: string, groups: readonly string[], place: GroupPlace, ctx: MembershipContext,
): Promise<void> {
  for (const groupName of groups) {
    const group: GroupAddress = { ...place, namespace, groupName };
    try {
      await api.addMember(group, memberName);
    } catch (error) {
      if (!isServiceError(error, 'ResourceNotFoundException')) throw error;
      const groupMissing = await isGroupMissing(api, group);
      if (groupMissing && await ctx.rollingBack?.()) {
        ctx.log({ userName: memberName, outcome: `not put back in group '${groupName}' by the rollback: the group no longer exists` });
        continue;
      }
      const where = `namespace '${group.namespace}' of account ${group.accountId} (identity region ${group.region})`;
      throw new HandlerError(`QuickSight user '${memberName}' cannot join group '${groupName}': ${groupMissing
        ? `the group does not exist in ${where}. Declare it (QuickSightGroup, or the users file's groups), create it, or remove it from the user's groups.`
        : `QuickSight answered that the group or the user '${memberName}' does not exist in ${where}.`}`);
    }
  }
}

async function removeMembers(api: QuickSightUsers, namespace: string, memberName: string, groups: readonly string[], place: GroupPlace): Promise<void> {
  for (const groupName of groups) {
    try {
      await api.removeMember({ ...place, namespace, groupName }, memberName);
    } catch (error) {
      // Not a member any more (the group was deleted, or the membership removed by hand): done.
      if (!isServiceError(error, 'ResourceNotFoundException')) throw error;
    }
  }
}

/** Whether the group is gone (DescribeGroup answers 404), after CreateGroupMembership found nothing. */
async function isGroupMissing(api: QuickSightUsers, group: GroupAddress): Promise<boolean> {
  try {
    await api.describeGroup(group);
    return false;
  } catch (error) {
    return isServiceError(error, 'ResourceNotFoundException');
  }
}

function describeGroups(groups: readonly string[]): string {
  return `${groups.length === 1 ? 'group' : 'groups'} ${groups.map((g) => `'${g}'`).join(', ')}`;
}
