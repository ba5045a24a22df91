// One function per lifecycle step, each the story of that step. The physical resource id is the
// user's ARN; Data carries Arn, UserName, PrincipalId and InvitationUrl ('' when there is none:
// CloudFormation wants every attribute to have a value).
//
// The rule above all: a user is deregistered only when a successful deployment stops declaring it,
// or its stack is deleted (RemovalPolicy.DESTROY). So: a user that already existed is adopted and
// marked as adopted (ownership.ts), and a rollback's Delete releases it instead of deregistering it;
// a failed event deregisters what it registered itself before answering (undoRegistrations), since
// CloudFormation never learns of it; and an identity change that could only be made by deregistering
// the user first is refused.
import {
  addressOf, deriveUserName, formatUserArn, IDENTITY_FIELDS, OWNER_TAG_KEY, parseUserArn, PREVIOUS_OWNER_TAG_KEY, userFieldDifferences,
  type UserAddress, type UserSpec, type UserTag,
} from '../lib/model';
import type { DeleteIntent } from './cloudformation';
import { HandlerError, isServiceError } from './errors';
import { changeGroups, joinGroups, joinMissingGroups } from './groups';
import type { LogFields } from './log';
import { adoptedMarkerOf, ownershipOf, registeredMarkerOf, registeringRequestOf } from './ownership';
import type { QuickSightUsers, User, UserUpdate } from './quicksight';

export { ownerOf } from './ownership';

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

/** A RegisterUser this event sent; `confirmed` once QuickSight answered it with the new user. */
export interface Registration {
  readonly address: UserAddress;
  confirmed: boolean;
}

/** What a lifecycle step needs besides the QuickSight client. */
export interface StepContext {
  /** Names the stack resource that manages the user (ownership.ts). */
  readonly owner: string;
  /** The CloudFormation event's request id: the same when the event is delivered again. */
  readonly requestId: string;
  readonly log: (fields: Omit<LogFields, 'requestType' | 'logicalResourceId'>) => void;
  /** Whether this Delete is part of a rollback, read from the stack's status; throws a HandlerError when it cannot tell. */
  readonly deleteIntent: () => Promise<DeleteIntent>;
  /** Whether the stack is rolling back (false when its status cannot be read: the caller then refuses to act). */
  readonly rollingBack: () => Promise<boolean>;
  /** The registrations this event made: undone if the event fails (undoRegistrations). */
  readonly registrations: Registration[];
  /** The groups the declaration names (sorted): joined on registration and adoption. */
  readonly groups: readonly string[];
  /** The groups the previous declaration named (Update): the difference is applied in place. */
  readonly previousGroups: readonly string[];
}

// ---- CREATE ----

export async function onCreate(api: QuickSightUsers, spec: UserSpec, adoptExistingUser: boolean, ctx: StepContext): Promise<Outcome> {
  return registerOrAdopt(api, spec, adoptExistingUser, ctx);
}

async function registerOrAdopt(api: QuickSightUsers, spec: UserSpec, adoptExistingUser: boolean, ctx: StepContext): Promise<Outcome> {
  try {
    const { user, invitationUrl } = await register(api, spec, ctx);
    ctx.log({ userName: user.UserName, outcome: 'registered' });
    // A group that does not exist fails the event, and undoRegistrations deregisters the user again.
    await joinGroups(api, addressOf(spec)!, ctx.groups, ctx);
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

/**
 * Takes over an existing user: converges its email, role, permissions, external login and tags to
 * the declared ones, and marks it as adopted, so that a rollback of this deployment releases it
 * instead of deregistering it. A replayed event (its first delivery registered the user) keeps
 * its registered marker: the user is the event's own, and a rollback removes it.
 */
async function adopt(api: QuickSightUsers, spec: UserSpec, ctx: StepContext): Promise<Outcome> {
  const address = addressOf(spec)!;
  const current = await api.describe(address);
  if (current.IdentityType !== spec.IdentityType) {
    throw new HandlerError(`QuickSight user '${address.userName}' already exists with identity type ${current.IdentityType}, but this stack declares ${spec.IdentityType}: QuickSight cannot change a user's identity type in place, so it was left untouched. Delete that user first, or declare identityType ${current.IdentityType}.`);
  }
  const tags = await api.listTags(current.Arn!);
  // The same event delivered again (its first delivery registered the user): the user is its own,
  // and undone if the event fails (register() keeps it to be checked).
  const replayed = registeringRequestOf(tags, ctx.owner) === ctx.requestId;
  // Taken over from another stack resource (a user moved to another stack, names swapped): that
  // resource's marker is kept as the previous owner until it lets go of the user (onDelete).
  const previous = ownershipOf(tags, ctx.owner) === 'other' ? tags[OWNER_TAG_KEY] : tags[PREVIOUS_OWNER_TAG_KEY];
  const markers = { owner: replayed ? tags[OWNER_TAG_KEY] : adoptedMarkerOf(ctx.owner), previous };
  const user = await converge(api, address, current, spec, markers, tags);
  ctx.log({ userName: address.userName, outcome: replayed ? 'registered by an earlier delivery of this event' : 'adopted existing user' });
  // Memberships the declaration never named are left alone.
  await joinMissingGroups(api, address, ctx.groups, ctx);
  return outcome(user, '');
}

/** The marker tags a user carries (ownership.ts): its owner, and while it passes between resources, the previous one. */
interface Markers {
  readonly owner: string;
  readonly previous?: string;
}

/** Brings an existing user to the declared fields and tags (plus the markers); returns the user. */
async function converge(api: QuickSightUsers, address: UserAddress, current: User, spec: UserSpec, markers: Markers, knownTags?: Record<string, string>): Promise<User> {
  const clear = {
    customPermissions: current.CustomPermissionsName !== undefined && spec.CustomPermissionsName === undefined,
    externalLogin: hasExternalLogin(current) && spec.ExternalLoginFederationProviderType === undefined,
  };
  const user = userDiffers(current, spec) ? await api.update(address, updateOf(spec, clear)) : current;
  const tags = knownTags ?? await api.listTags(user.Arn!);
  const wanted = Object.fromEntries(declaredTags(spec, markers.owner).map((t) => [t.Key, t.Value]));
  if (markers.previous !== undefined) wanted[PREVIOUS_OWNER_TAG_KEY] = markers.previous;
  await applyTagChange(api, user.Arn!, tagChange(tags, wanted));
  return user;
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
    if (sameAddress(current, declared)) return keepIdentityAtSameAddress(api, physicalResourceId, current, spec, ctx);
    // A new user. CloudFormation deletes the old one (the old id) once the whole update succeeds.
    ctx.log({ userName: declared.userName, outcome: `replacing user '${current.userName}'` });
    return registerOrAdopt(api, spec, adoptExistingUser, ctx);
  }
  return updateInPlace(api, physicalResourceId, current, previous, spec, ctx);
}

/**
 * The identity fields changed but still name the same QuickSight user (same name and ARN). Either
 * nothing changes for QuickSight (an IAM ARN whose path changed: IAM user and role names are unique
 * in an account, so it is the same identity), or the user already has the declared identity type
 * (the rollback of a refused change sends the old properties back), and the user is converged in
 * place. Otherwise the only way would be to deregister the user and register it again: the user
 * would be gone before the new registration is certain, and whatever happens to the deployment
 * after, its dashboards, analyses and datasets lose their owner. That is refused, untouched.
 */
async function keepIdentityAtSameAddress(api: QuickSightUsers, physicalResourceId: string, address: UserAddress, spec: UserSpec, ctx: StepContext): Promise<Outcome> {
  let live: User;
  try {
    live = await api.describe(address);
  } catch (error) {
    if (!isServiceError(error, 'ResourceNotFoundException')) throw error;
    ctx.log({ userName: address.userName, outcome: 'user was missing; registering it again' });
    const registered = await registerOrAdopt(api, spec, true, ctx);
    return { ...registered, PhysicalResourceId: physicalResourceId };
  }
  const tags = await api.listTags(live.Arn!);
  if (live.IdentityType !== spec.IdentityType && registeringRequestOf(tags, ctx.owner) !== undefined && await ctx.rollingBack()) {
    // The rollback of an update that registered this user under the new identity type (it was
    // missing, deleted by hand): the failed deployment registered it, so the rollback removes it,
    // and the declared identity is registered again.
    await deleteIfPresent(api, address);
    ctx.log({ userName: address.userName, outcome: `deregistered the ${live.IdentityType} user the rolled-back update registered` });
    const restored = await registerOrAdopt(api, spec, true, ctx);
    return { ...restored, PhysicalResourceId: physicalResourceId };
  }
  if (live.IdentityType !== spec.IdentityType) {
    throw new HandlerError(`QuickSight user '${address.userName}' has identity type ${live.IdentityType}; this update declares identity type ${spec.IdentityType} under the same name. QuickSight cannot change a user's identity type: the user would have to be deregistered first, and its dashboards, analyses and datasets would lose their owner before the new registration is certain, so the update was refused and the user left untouched. To change it, deploy once without this user (the successful deployment deregisters it), then deploy again declaring it with identity type ${spec.IdentityType}; or declare a new user name.`);
  }
  const ours = ownershipOf(tags, ctx.owner);
  if (ours === 'other' && await ctx.rollingBack()) {
    // A rollback puts back what the failed deployment changed; this user belongs to another stack
    // resource now (it took the user over after this resource's last successful deployment), and
    // the failed deployment never touched it: it is left alone.
    ctx.log({ userName: address.userName, outcome: 'left alone by the rollback: another stack resource manages it now' });
    return { ...outcome(live, ''), PhysicalResourceId: physicalResourceId };
  }
  const markers = { owner: ours === 'registered' ? tags[OWNER_TAG_KEY] : adoptedMarkerOf(ctx.owner), previous: tags[PREVIOUS_OWNER_TAG_KEY] };
  const user = await converge(api, address, live, spec, markers, tags);
  await changeGroups(api, address, ctx.previousGroups, ctx.groups, ctx);
  ctx.log({ userName: address.userName, outcome: 'updated in place (identity unchanged for QuickSight)' });
  return { ...outcome(user, ''), PhysicalResourceId: physicalResourceId };
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
    await changeGroups(api, address, ctx.previousGroups, ctx.groups, ctx);
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
  const ownership = ownershipOf(tags, ctx.owner);
  const previous = tags[PREVIOUS_OWNER_TAG_KEY];
  if (ownership === 'other') {
    // Another resource (a renamed one, or another stack) has since taken this user over; if it
    // still holds this resource's marker as the previous owner, this resource now lets go.
    if (previous !== undefined && ownershipOf({ [OWNER_TAG_KEY]: previous }, ctx.owner) !== 'other') {
      await release(api, physicalResourceId, address, ctx, { untag: [PREVIOUS_OWNER_TAG_KEY] }, 'let go: the resource that took the user over manages it alone now');
    }
    ctx.log({ userName: address.userName, outcome: 'left in place: another stack resource manages it now' });
    return { PhysicalResourceId: physicalResourceId };
  }
  if (previous !== undefined) {
    // Taken over from another resource that has not let go of it (its stack's deployment failed,
    // or rolled back this one): that resource may still declare the user, so it gets it back.
    return release(api, physicalResourceId, address, ctx, { tag: [{ Key: OWNER_TAG_KEY, Value: previous }], untag: [PREVIOUS_OWNER_TAG_KEY] },
      'handed back to the stack resource it was taken over from, which still declares it');
  }
  // A user this resource registered goes, in a rollback too: the failed deployment made it. A user
  // it adopted (or one without a marker, which it never registered) was there before: only an
  // intended Delete may deregister it.
  if (ownership !== 'registered' && await ctx.deleteIntent() === 'rollback') {
    return release(api, physicalResourceId, address, ctx, { untag: ownership === 'adopted' ? [OWNER_TAG_KEY] : [] },
      'released: the user existed before this deployment adopted it, and the deployment rolled back');
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

/**
 * Leaves the user in QuickSight, changing only its markers. A marker that cannot be changed is no
 * reason to fail: a failed rollback Delete would leave the stack in ROLLBACK_FAILED, whose only way
 * out is a stack delete, whose Delete would deregister the user. The user stays either way.
 */
async function release(
  api: QuickSightUsers, arn: string, address: UserAddress, ctx: StepContext, change: { tag?: UserTag[]; untag: string[] }, outcome: string,
): Promise<Outcome> {
  try {
    if (change.untag.length > 0) await api.untag(arn, change.untag);
    if (change.tag !== undefined) await api.tag(arn, change.tag);
    ctx.log({ userName: address.userName, outcome });
  } catch (error) {
    ctx.log({ userName: address.userName, outcome: `${outcome} (its markers could not be changed: ${(error as Error).name}; the user is in place)` });
  }
  return { PhysicalResourceId: arn };
}

// ---- UNDO A FAILED EVENT ----

/**
 * Deregisters the users this event registered, before it answers FAILED: CloudFormation never
 * learns their ARNs (the Provider framework answers the Delete after a failed Create itself, and an
 * update rollback goes back to the old physical id), so they would be left behind. A registration
 * whose answer never came (the deadline, a dropped connection) is undone only when the user
 * carries this event's registered marker; a user the event adopted is never touched. Returns a
 * sentence for each user that could not be deregistered.
 */
export async function undoRegistrations(api: QuickSightUsers, ctx: StepContext): Promise<string[]> {
  const problems: string[] = [];
  for (const { address, confirmed } of ctx.registrations) {
    try {
      if (!confirmed && registeringRequestOf(await api.listTags(formatUserArn(address)), ctx.owner) !== ctx.requestId) continue;
      await deleteIfPresent(api, address);
      ctx.log({ userName: address.userName, outcome: 'deregistered again: the event that registered it failed' });
    } catch (error) {
      if (isServiceError(error, 'ResourceNotFoundException')) continue;
      const cause = `${(error as Error).name}: ${(error as Error).message}`;
      problems.push(confirmed
        ? `user '${address.userName}', registered by this event, could not be deregistered again (${cause}): delete it by hand`
        : `RegisterUser for user '${address.userName}' got no answer, and whether it registered the user could not be checked (${cause}): if the user exists with this resource's owner marker, delete it by hand`);
    }
  }
  return problems;
}

async function deleteIfPresent(api: QuickSightUsers, address: UserAddress): Promise<void> {
  try {
    await api.delete(address);
  } catch (error) {
    if (isServiceError(error, 'ResourceNotFoundException')) return;
    if (await refusedForIdentityCenter(api, address, error)) throw new IdentityCenterManaged(address.userName);
    throw error;
  }
}

/**
 * Whether QuickSight refused a DeleteUser because IAM Identity Center manages the user. The public
 * record shows AccessDeniedException ("Operation is disabled for identities managed by IAM
 * Identity Center") for such calls, but not for DeleteUser itself, so the refusal is recognised by
 * what is certain: a client error on a user whose identity type is IAM_IDENTITY_CENTER. Except
 * IAM's own refusal of the call (a missing permission: HTTP 403, "... is not authorized to
 * perform: ..."), which must fail the Delete rather than leave the user silently in place.
 */
async function refusedForIdentityCenter(api: QuickSightUsers, address: UserAddress, error: unknown): Promise<boolean> {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === undefined || status < 400 || status >= 500 || status === 403 || status === 429) return false;
  if (/is not authorized to perform/i.test((error as Error).message ?? '')) return false;
  try {
    return (await api.describe(address)).IdentityType === 'IAM_IDENTITY_CENTER';
  } catch {
    return false;
  }
}

/** Raised when QuickSight refuses to delete an IAM Identity Center user. */
export class IdentityCenterManaged extends HandlerError {
  constructor(userName: string) {
    super(`QuickSight user '${userName}' is managed by IAM Identity Center and cannot be deleted through the QuickSight API: remove it from IAM Identity Center.`);
  }
}

// ---- HELPERS ----

/** RegisterUser with the declared tags and the registered owner marker, recorded for undoRegistrations. */
async function register(api: QuickSightUsers, spec: UserSpec, ctx: StepContext): Promise<{ user: User; invitationUrl?: string }> {
  const registration: Registration = { address: addressOf(spec)!, confirmed: false };
  ctx.registrations.push(registration);
  try {
    const result = await api.register(spec, declaredTags(spec, registeredMarkerOf(ctx.owner, ctx.requestId)));
    registration.confirmed = true;
    return result;
  } catch (error) {
    // A 4xx answer is certain: nothing was registered. Except ResourceExists, which may be this
    // very event's user (a replayed event whose first delivery registered it): it stays to be
    // checked (undoRegistrations deletes it only if it carries this event's registered marker).
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== undefined && status >= 400 && status < 500 && !isServiceError(error, 'ResourceExistsException')) {
      ctx.registrations.splice(ctx.registrations.indexOf(registration), 1);
    }
    throw error;
  }
}

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

function sameAddress(a: UserAddress, b: UserAddress): boolean {
  return a.region === b.region && a.accountId === b.accountId && a.namespace === b.namespace && a.userName === b.userName;
}

function hasExternalLogin(user: User): boolean {
  return user.ExternalLoginFederationProviderType !== undefined && user.ExternalLoginFederationProviderType !== 'NONE';
}

/** Whether an existing user's updatable fields differ from the declared ones (drift compares the same way). */
function userDiffers(user: User, spec: UserSpec): boolean {
  return userFieldDifferences(spec, user).some((d) => d.field !== 'IdentityType');
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

/** The declared tags plus an owner marker, as RegisterUser and TagResource take them. */
function declaredTags(spec: UserSpec, marker: string): UserTag[] {
  return [...(spec.Tags ?? []), { Key: OWNER_TAG_KEY, Value: marker }];
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
