// One function per lifecycle step, each the story of that step. The physical resource id is the
// user's ARN; Data carries Arn, UserName, PrincipalId and InvitationUrl ('' when there is none:
// CloudFormation wants every attribute to have a value).
import { createHash } from 'node:crypto';
import {
  addressOf, deriveUserName, IDENTITY_FIELDS, OWNER_TAG_KEY, parseUserArn,
  type UserAddress, type UserSpec, type UserTag,
} from '../lib/model';
import { HandlerError, isServiceError } from './errors';
import type { LogFields } from './log';
import type { QuickSightUsers, User, UserUpdate } from './quicksight';

export interface UserData {
  readonly Arn: string;
  readonly UserName: string;
  readonly PrincipalId: string;
  readonly InvitationUrl: string;
}

export interface Outcome {
  readonly PhysicalResourceId: string;
  readonly Data?: UserData;
}

/** What a lifecycle step needs besides the QuickSight client. */
export interface StepContext {
  /** Names the stack resource that manages the user: the value of the owner tag. */
  readonly owner: string;
  readonly log: (fields: Omit<LogFields, 'requestType' | 'logicalResourceId'>) => void;
}

/** The owner marker of a stack resource: its stack id and logical id, hashed if over the tag value limit. */
export function ownerOf(stackId: string, logicalResourceId: string): string {
  const owner = `${stackId}/${logicalResourceId}`;
  return owner.length <= 256 ? owner : `sha256:${createHash('sha256').update(owner).digest('hex')}`;
}

// ---- CREATE ----

export async function onCreate(api: QuickSightUsers, spec: UserSpec, adoptExistingUser: boolean, ctx: StepContext): Promise<Outcome> {
  return registerOrAdopt(api, spec, adoptExistingUser, ctx);
}

async function registerOrAdopt(api: QuickSightUsers, spec: UserSpec, adoptExistingUser: boolean, ctx: StepContext): Promise<Outcome> {
  try {
    const { user, invitationUrl } = await api.register(spec, declaredTags(spec, ctx.owner));
    ctx.log({ userName: user.UserName, outcome: 'registered' });
    return outcome(user, invitationUrl);
  } catch (error) {
    // Already exists: a create that CloudFormation replayed after a lost answer, a user made by
    // hand, or one left behind by a stack with RemovalPolicy.RETAIN.
    if (!isServiceError(error, 'ResourceExistsException')) throw error;
    const userName = deriveUserName(spec)!;
    if (!adoptExistingUser) {
      throw new HandlerError(`QuickSight user '${userName}' already exists in namespace '${spec.Namespace}' of account ${spec.AwsAccountId}, and adoptExistingUser is false: delete that user, declare another name, or set adoptExistingUser: true to manage the existing user.`);
    }
    return adopt(api, spec, ctx);
  }
}

/** Takes over an existing user: converges its email, role, permissions, external login and tags to the declared ones. */
async function adopt(api: QuickSightUsers, spec: UserSpec, ctx: StepContext): Promise<Outcome> {
  const address = addressOf(spec)!;
  const current = await api.describe(address);
  if (current.IdentityType !== spec.IdentityType) {
    throw new HandlerError(`QuickSight user '${address.userName}' already exists with identity type ${current.IdentityType}, but this stack declares ${spec.IdentityType}: QuickSight cannot change a user's identity type in place, so it was left untouched. Delete that user first, or declare identityType ${current.IdentityType}.`);
  }
  const clear = {
    customPermissions: current.CustomPermissionsName !== undefined && spec.CustomPermissionsName === undefined,
    externalLogin: hasExternalLogin(current) && spec.ExternalLoginFederationProviderType === undefined,
  };
  const user = userDiffers(current, spec) ? await api.update(address, updateOf(spec, clear)) : current;
  const tags = await api.listTags(user.Arn!);
  const wanted = Object.fromEntries(declaredTags(spec, ctx.owner).map((t) => [t.Key, t.Value]));
  await applyTagChange(api, user.Arn!, tagChange(tags, wanted));
  ctx.log({ userName: address.userName, outcome: 'adopted existing user' });
  return outcome(user, '');
}

// ---- UPDATE ----

export async function onUpdate(
  api: QuickSightUsers, physicalResourceId: string, previous: UserSpec, spec: UserSpec, adoptExistingUser: boolean, ctx: StepContext,
): Promise<Outcome> {
  const current = parseUserArn(physicalResourceId);
  if (!current) {
    // Not an id this handler gave out: there is no user to update, so this is a first registration.
    return registerOrAdopt(api, spec, adoptExistingUser, ctx);
  }
  const declared = addressOf(spec)!;
  if (identityChanged(previous, spec)) {
    if (sameAddress(current, declared)) {
      if (declaresAddress(previous, current)) return replaceAtSameAddress(api, physicalResourceId, current, spec, ctx);
      // The previous properties never named this user: this is the rollback of an update that failed
      // before its replacement (CloudFormation sends the old properties back to the old id). The user
      // here is the declared one: converge it, never deregister it (that would lose its assets).
      const restored = await registerOrAdopt(api, spec, true, ctx);
      return { ...restored, PhysicalResourceId: physicalResourceId };
    }
    // A new user. CloudFormation deletes the old one (the old id) once the whole update succeeds.
    ctx.log({ userName: declared.userName, outcome: `replacing user '${current.userName}'` });
    return registerOrAdopt(api, spec, adoptExistingUser, ctx);
  }
  return updateInPlace(api, physicalResourceId, current, previous, spec, ctx);
}

/**
 * The identity changed (identity type, IAM ARN) but lands on the same QuickSight user name and ARN.
 * Returning a new physical id is impossible (it is the same ARN), and CloudFormation's cleanup
 * Delete of the old id would remove the user just registered. So the replacement happens here,
 * under the same physical id: deregister the old identity, register the new one.
 */
async function replaceAtSameAddress(api: QuickSightUsers, physicalResourceId: string, address: UserAddress, spec: UserSpec, ctx: StepContext): Promise<Outcome> {
  await deleteIfPresent(api, address);
  const { user, invitationUrl } = await api.register(spec, declaredTags(spec, ctx.owner));
  ctx.log({ userName: address.userName, outcome: `re-registered with identity type ${spec.IdentityType}` });
  return { ...outcome(user, invitationUrl), PhysicalResourceId: physicalResourceId };
}

async function updateInPlace(
  api: QuickSightUsers, physicalResourceId: string, address: UserAddress, previous: UserSpec, spec: UserSpec, ctx: StepContext,
): Promise<Outcome> {
  const change = tagChange(tagMap(previous.Tags), tagMap(spec.Tags));
  let user: User | undefined;
  try {
    if (userFieldsChanged(previous, spec)) {
      user = await api.update(address, updateOf(spec, {
        customPermissions: previous.CustomPermissionsName !== undefined && spec.CustomPermissionsName === undefined,
        externalLogin: previous.ExternalLoginFederationProviderType !== undefined && spec.ExternalLoginFederationProviderType === undefined,
      }));
    }
    await applyTagChange(api, physicalResourceId, change);
    // The attributes need the user's PrincipalId, which only UpdateUser and DescribeUser return.
    user ??= await api.describe(address);
  } catch (error) {
    if (!isServiceError(error, 'ResourceNotFoundException')) throw error;
    // The user was deleted outside the stack: register it again, as declared.
    ctx.log({ userName: address.userName, outcome: 'user was missing; registering it again' });
    const registered = await registerOrAdopt(api, spec, true, ctx);
    return { ...registered, PhysicalResourceId: physicalResourceId };
  }
  ctx.log({ userName: address.userName, outcome: 'updated in place' });
  return { ...outcome(user, ''), PhysicalResourceId: physicalResourceId };
}

// ---- DELETE ----

export async function onDelete(api: QuickSightUsers, physicalResourceId: string, ctx: StepContext): Promise<Outcome> {
  const address = parseUserArn(physicalResourceId);
  if (!address) {
    ctx.log({ outcome: 'nothing to delete: the physical id is not a QuickSight user ARN' });
    return { PhysicalResourceId: physicalResourceId };
  }
  let tags: Record<string, string>;
  try {
    tags = await api.listTags(physicalResourceId);
  } catch (error) {
    if (!isServiceError(error, 'ResourceNotFoundException')) throw error;
    ctx.log({ userName: address.userName, outcome: 'already deleted' });
    return { PhysicalResourceId: physicalResourceId };
  }
  const owner = tags[OWNER_TAG_KEY];
  if (owner !== undefined && owner !== ctx.owner) {
    // Another resource (a renamed one, or another stack) has since taken this user over.
    ctx.log({ userName: address.userName, outcome: 'left in place: another stack resource manages it now' });
    return { PhysicalResourceId: physicalResourceId };
  }
  try {
    await deleteIfPresent(api, address);
  } catch (error) {
    if (!(error instanceof IdentityCenterManaged)) throw error;
    // Failing would leave the stack unable to delete, for a user that leaves QuickSight when it
    // leaves IAM Identity Center anyway.
    ctx.log({ userName: address.userName, outcome: 'left in place: managed by IAM Identity Center' });
    return { PhysicalResourceId: physicalResourceId };
  }
  ctx.log({ userName: address.userName, outcome: 'deleted' });
  return { PhysicalResourceId: physicalResourceId };
}

async function deleteIfPresent(api: QuickSightUsers, address: UserAddress): Promise<void> {
  try {
    await api.delete(address);
  } catch (error) {
    if (isServiceError(error, 'ResourceNotFoundException')) return;
    if (/managed by IAM Identity Center/i.test((error as Error).message ?? '')) {
      // QuickSight refuses to delete users that IAM Identity Center manages.
      throw new IdentityCenterManaged(address.userName);
    }
    throw error;
  }
}

/** Raised when QuickSight refuses to delete an IAM Identity Center user. */
export class IdentityCenterManaged extends HandlerError {
  constructor(userName: string) {
    super(`QuickSight user '${userName}' is managed by IAM Identity Center and cannot be deleted through the QuickSight API: remove it from IAM Identity Center.`);
  }
}

// ---- HELPERS ----

function outcome(user: User, invitationUrl: string | undefined): Outcome {
  return {
    PhysicalResourceId: user.Arn!,
    Data: {
      Arn: user.Arn!,
      UserName: user.UserName ?? '',
      PrincipalId: user.PrincipalId ?? '',
      InvitationUrl: invitationUrl ?? '',
    },
  };
}

/** The fields UpdateUser changes in place. */
const UPDATABLE_FIELDS = ['Email', 'UserRole', 'CustomPermissionsName', 'ExternalLoginFederationProviderType', 'CustomFederationProviderUrl', 'ExternalLoginId'] as const;

function identityChanged(previous: UserSpec, spec: UserSpec): boolean {
  return IDENTITY_FIELDS.some((field) => previous[field] !== spec[field]);
}

function userFieldsChanged(previous: UserSpec, spec: UserSpec): boolean {
  return UPDATABLE_FIELDS.some((field) => previous[field] !== spec[field]);
}

/** Whether a spec declares the user at `address` (read field by field: previous properties are not validated). */
function declaresAddress(spec: UserSpec, address: UserAddress): boolean {
  return deriveUserName(spec) === address.userName && spec.Namespace === address.namespace
    && spec.AwsAccountId === address.accountId && spec.IdentityRegion === address.region;
}

function sameAddress(a: UserAddress, b: UserAddress): boolean {
  return a.region === b.region && a.accountId === b.accountId && a.namespace === b.namespace && a.userName === b.userName;
}

function hasExternalLogin(user: User): boolean {
  return user.ExternalLoginFederationProviderType !== undefined && user.ExternalLoginFederationProviderType !== 'NONE';
}

/** Whether an existing user's updatable fields differ from the declared ones. */
function userDiffers(user: User, spec: UserSpec): boolean {
  const providerUrl = spec.ExternalLoginFederationProviderType === 'CUSTOM_OIDC' ? spec.CustomFederationProviderUrl : undefined;
  return user.Email !== spec.Email
    || user.Role !== spec.UserRole
    || user.CustomPermissionsName !== spec.CustomPermissionsName
    || (hasExternalLogin(user) ? user.ExternalLoginFederationProviderType : undefined) !== spec.ExternalLoginFederationProviderType
    || (providerUrl !== undefined && user.ExternalLoginFederationProviderUrl !== providerUrl)
    || (spec.ExternalLoginId !== undefined && user.ExternalLoginId !== spec.ExternalLoginId);
}

/**
 * The UpdateUser request for the declared state. UpdateUser always takes Email and Role; custom
 * permissions are removed with UnapplyCustomPermissions, and an external login with the type NONE.
 */
function updateOf(spec: UserSpec, clear: { customPermissions: boolean; externalLogin: boolean }): UserUpdate {
  return {
    Email: spec.Email,
    Role: spec.UserRole,
    CustomPermissionsName: spec.CustomPermissionsName,
    UnapplyCustomPermissions: clear.customPermissions ? true : undefined,
    ExternalLoginFederationProviderType: spec.ExternalLoginFederationProviderType ?? (clear.externalLogin ? 'NONE' : undefined),
    CustomFederationProviderUrl: spec.CustomFederationProviderUrl,
    ExternalLoginId: spec.ExternalLoginId,
  };
}

/** The declared tags plus the owner marker, as RegisterUser and TagResource take them. */
function declaredTags(spec: UserSpec, owner: string): UserTag[] {
  return [...(spec.Tags ?? []), { Key: OWNER_TAG_KEY, Value: owner }];
}

function tagMap(tags: UserTag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));
}

interface TagChange {
  readonly set: UserTag[];
  readonly remove: string[];
}

function tagChange(from: Record<string, string>, to: Record<string, string>): TagChange {
  return {
    set: Object.entries(to).filter(([key, value]) => from[key] !== value).map(([Key, Value]) => ({ Key, Value })),
    remove: Object.keys(from).filter((key) => !(key in to)),
  };
}

async function applyTagChange(api: QuickSightUsers, arn: string, change: TagChange): Promise<void> {
  // Untag first: a resource holds at most 50 tags, and the new set may only fit once the old keys are gone.
  if (change.remove.length > 0) await api.untag(arn, change.remove);
  if (change.set.length > 0) await api.tag(arn, change.set);
}
