// The routing table and one function per QuickSight operation. An operation reads the decoded
// path labels, the query string and the JSON body, changes the store, and returns the status and
// body to send (the server adds RequestId), or throws an ApiError.
import type { AccountRules } from './account';
import { ApiError, groupNotFound, invalidParameter, userNotFound } from './errors';
import { type EmulatedGroup, type EmulatedUser, NOT_AVAILABLE, UserStore } from './store';
import {
  MAX_TAGS_PER_RESOURCE,
  SHAPES,
  Violations,
  isQuickSightArn,
  parseUserArn,
  validateCreateGroup,
  validateGroupPath,
  validateMaxResults,
  validateRegisterUser,
  validateUpdateGroup,
  validateUpdateUser,
  validateUserPath,
} from './validation';

export interface OperationRequest {
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
}

export interface OperationResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** The user the call was about, when the path does not name it (RegisterUser, by principal id). */
  readonly userName?: string;
  /** The group the call was about, when the path does not name it (CreateGroup). */
  readonly groupName?: string;
}

export interface OperationContext {
  readonly store: UserStore;
  readonly account: AccountRules;
  /** The region the request was signed for (the identity region, once it got this far). */
  readonly region: string;
}

type Operation = (ctx: OperationContext, request: OperationRequest) => OperationResult;

interface Route {
  readonly method: string;
  /** Literal segments, and labels written {Name}. */
  readonly segments: readonly string[];
  readonly operation: string;
  readonly handler: Operation;
}

const USERS = '/accounts/{AwsAccountId}/namespaces/{Namespace}/users';
const USER = `${USERS}/{UserName}`;
const USER_PRINCIPAL = '/accounts/{AwsAccountId}/namespaces/{Namespace}/user-principals/{PrincipalId}';
const TAGS = '/resources/{ResourceArn}/tags';
const ACCOUNT = '/account/{AwsAccountId}';
const NAMESPACES = '/accounts/{AwsAccountId}/namespaces';
const GROUPS = '/accounts/{AwsAccountId}/namespaces/{Namespace}/groups';
const GROUP = `${GROUPS}/{GroupName}`;
const MEMBERS = `${GROUP}/members`;
const MEMBER = `${MEMBERS}/{MemberName}`;
const USER_GROUPS = `${USER}/groups`;

/**
 * CreateGroup's HTTP status. The model gives none (so 200 by default), but the one public record of
 * a real answer, an `aws quicksight create-group` transcript, shows "Status": 201 (like
 * RegisterUser's, shown in the same transcript), while create-group-membership shows 200.
 */
export const CREATE_GROUP_STATUS = 201;

export const ROUTES: readonly Route[] = [
  route('POST', USERS, 'RegisterUser', registerUser),
  route('GET', USERS, 'ListUsers', listUsers),
  route('GET', USER, 'DescribeUser', describeUser),
  route('PUT', USER, 'UpdateUser', updateUser),
  route('DELETE', USER, 'DeleteUser', deleteUser),
  route('DELETE', USER_PRINCIPAL, 'DeleteUserByPrincipalId', deleteUserByPrincipalId),
  route('POST', TAGS, 'TagResource', tagResource),
  route('DELETE', TAGS, 'UntagResource', untagResource),
  route('GET', TAGS, 'ListTagsForResource', listTagsForResource),
  route('GET', ACCOUNT, 'DescribeAccountSubscription', describeAccountSubscription),
  route('GET', NAMESPACES, 'ListNamespaces', listNamespaces),
  route('POST', GROUPS, 'CreateGroup', createGroup),
  route('GET', GROUPS, 'ListGroups', listGroups),
  route('GET', GROUP, 'DescribeGroup', describeGroup),
  route('PUT', GROUP, 'UpdateGroup', updateGroup),
  route('DELETE', GROUP, 'DeleteGroup', deleteGroup),
  route('GET', MEMBERS, 'ListGroupMemberships', listGroupMemberships),
  route('PUT', MEMBER, 'CreateGroupMembership', createGroupMembership),
  route('GET', MEMBER, 'DescribeGroupMembership', describeGroupMembership),
  route('DELETE', MEMBER, 'DeleteGroupMembership', deleteGroupMembership),
  route('GET', USER_GROUPS, 'ListUserGroups', listUserGroups),
];

function route(method: string, template: string, operation: string, handler: Operation): Route {
  return { method, segments: template.split('/').slice(1), operation, handler };
}

/**
 * The route a request takes, with its labels. The raw path is split on '/' before each segment is
 * percent-decoded: labels such as 'Role%2FSession' or a whole ARN carry encoded slashes.
 */
export function matchRoute(method: string, rawPath: string): { route: Route; params: Record<string, string> } | undefined {
  const segments = rawPath.split('/').slice(1);
  for (const candidate of ROUTES) {
    if (candidate.method !== method || candidate.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = candidate.segments.every((pattern, i) => {
      const decoded = decodeSegment(segments[i]);
      if (decoded === undefined) return false;
      if (pattern.startsWith('{')) {
        params[pattern.slice(1, -1)] = decoded;
        return true;
      }
      return pattern === decoded;
    });
    if (matches) return { route: candidate, params };
  }
  return undefined;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function registerUser({ store, account }: OperationContext, { params, body }: OperationRequest): OperationResult {
  const input = validateRegisterUser({ AwsAccountId: params.AwsAccountId, Namespace: params.Namespace }, body, (type) => account.checkRegister(type));
  const { AwsAccountId: accountId, Namespace: namespace } = params;
  store.requireNamespace(accountId, namespace);
  const tags = Object.fromEntries(input.tags.map((t) => [t.Key, t.Value]));
  if (Object.keys(tags).length > MAX_TAGS_PER_RESOURCE) throw tagLimitExceeded(Object.keys(tags).length);
  if (store.get(accountId, namespace, input.userName)) {
    throw new ApiError('ResourceExistsException', `User ${store.userArn(accountId, namespace, input.userName)} already exists`, 'USER');
  }
  const user = store.put({
    accountId,
    namespace,
    userName: input.userName,
    email: input.email,
    role: input.role,
    identityType: input.identityType,
    iamArn: input.iamArn,
    sessionName: input.sessionName,
    customPermissionsName: input.customPermissionsName,
    externalLoginFederationProviderType: input.externalLogin.type,
    externalLoginFederationProviderUrl: input.externalLogin.url,
    externalLoginId: input.externalLogin.id,
    tags,
  });
  const invitationUrl = user.identityType === 'QUICKSIGHT' ? store.newInvitationUrl(accountId) : undefined;
  return { status: 201, body: { User: wireUser(user), UserInvitationUrl: invitationUrl }, userName: user.userName };
}

function describeUser({ store }: OperationContext, { params }: OperationRequest): OperationResult {
  return { status: 200, body: { User: wireUser(existingUser(store, params)) } };
}

function updateUser({ store, account }: OperationContext, { params, body }: OperationRequest): OperationResult {
  const input = validateUpdateUser({ AwsAccountId: params.AwsAccountId, Namespace: params.Namespace, UserName: params.UserName }, body);
  const user = existingUser(store, params);
  account.checkUpdate();
  user.email = input.email;
  user.role = input.role;
  if (input.customPermissionsName !== undefined) user.customPermissionsName = input.customPermissionsName ?? undefined;
  if (input.externalLogin) {
    const { type, url, id } = input.externalLogin;
    user.externalLoginFederationProviderType = type === 'NONE' ? undefined : type;
    user.externalLoginFederationProviderUrl = url;
    user.externalLoginId = id;
  }
  return { status: 200, body: { User: wireUser(user) } };
}

function deleteUser(ctx: OperationContext, { params }: OperationRequest): OperationResult {
  const user = existingUser(ctx.store, params);
  return removeUser(ctx, user);
}

function deleteUserByPrincipalId(ctx: OperationContext, { params }: OperationRequest): OperationResult {
  const v = new Violations();
  validateUserPath(v, { AwsAccountId: params.AwsAccountId, Namespace: params.Namespace });
  v.throwIfAny();
  ctx.store.requireNamespace(params.AwsAccountId, params.Namespace);
  const user = ctx.store.findByPrincipalId(params.AwsAccountId, params.Namespace, params.PrincipalId);
  if (!user) throw new ApiError('ResourceNotFoundException', `User with principal id ${params.PrincipalId} not found`, 'USER');
  return removeUser(ctx, user);
}

function removeUser({ store, account }: OperationContext, user: EmulatedUser): OperationResult {
  account.checkDelete();
  store.remove(user);
  return { status: 200, body: {}, userName: user.orphaned ? NOT_AVAILABLE : user.userName };
}

function listUsers({ store }: OperationContext, { params, query }: OperationRequest): OperationResult {
  const v = new Violations();
  validateUserPath(v, { AwsAccountId: params.AwsAccountId, Namespace: params.Namespace });
  const maxResults = validateMaxResults(v, query.get('max-results'));
  v.throwIfAny();
  store.requireNamespace(params.AwsAccountId, params.Namespace);
  const nextToken = query.get('next-token') ?? undefined;
  const page = store.page(params.AwsAccountId, params.Namespace, nextToken, maxResults ?? 100);
  return { status: 200, body: { UserList: page.users.map(wireUser), NextToken: page.nextToken } };
}

function tagResource({ store }: OperationContext, { params, body }: OperationRequest): OperationResult {
  const v = new Violations();
  const tags = v.tags('tags', body.Tags, true)!;
  v.throwIfAny();
  const user = taggedUser(store, params.ResourceArn);
  const merged = { ...user.tags, ...Object.fromEntries(tags.map((t) => [t.Key, t.Value])) };
  if (Object.keys(merged).length > MAX_TAGS_PER_RESOURCE) throw tagLimitExceeded(Object.keys(merged).length);
  user.tags = merged;
  return { status: 200, body: {} };
}

function untagResource({ store }: OperationContext, { params, query }: OperationRequest): OperationResult {
  const v = new Violations();
  const keys = v.tagKeys('tagKeys', query.getAll('keys'));
  v.throwIfAny();
  const user = taggedUser(store, params.ResourceArn);
  for (const k of keys!) delete user.tags[k];
  return { status: 200, body: {} };
}

function listTagsForResource({ store }: OperationContext, { params }: OperationRequest): OperationResult {
  const user = taggedUser(store, params.ResourceArn);
  return { status: 200, body: { Tags: Object.entries(user.tags).map(([Key, Value]) => ({ Key, Value })) } };
}

function describeAccountSubscription({ account, region }: OperationContext, { params }: OperationRequest): OperationResult {
  const v = new Violations();
  v.string('awsAccountId', params.AwsAccountId, SHAPES.AwsAccountId, true);
  v.throwIfAny();
  return { status: 200, body: { AccountInfo: account.accountInfo(region) } };
}

/**
 * ListNamespaces: the account's namespaces ('default' and those added), created, in the identity
 * store QuickSight (the model's only value), each with its ARN and capacity region.
 */
function listNamespaces({ store, region }: OperationContext, { params, query }: OperationRequest): OperationResult {
  const v = new Violations();
  v.string('awsAccountId', params.AwsAccountId, SHAPES.AwsAccountId, true);
  const maxResults = validateMaxResults(v, query.get('max-results'));
  v.throwIfAny();
  const page = store.namespacePage(params.AwsAccountId, query.get('next-token') ?? undefined, maxResults ?? 100);
  return {
    status: 200,
    body: {
      Namespaces: page.names.map((name) => ({
        Name: name,
        Arn: `arn:aws:quicksight:${region}:${params.AwsAccountId}:namespace/${name}`,
        CapacityRegion: region,
        CreationStatus: 'CREATED',
        IdentityStore: 'QUICKSIGHT',
      })),
      NextToken: page.nextToken,
    },
  };
}

// ---- groups and memberships ----
//
// Each call validates its input against the model first (all violations at once), then looks up the
// namespace, the group, the user and the membership it names, in that order. The writing calls are
// refused by an IAM Identity Center account (account.ts) like the user calls are: CreateGroup, like
// RegisterUser, before it looks anything up; the calls on something that exists, like DeleteUser,
// once what they name is found (a missing group, user or membership is not found first).

function createGroup({ store, account }: OperationContext, { params, body }: OperationRequest): OperationResult {
  const input = validateCreateGroup({ AwsAccountId: params.AwsAccountId, Namespace: params.Namespace }, body);
  account.checkGroupWrite();
  const { AwsAccountId: accountId, Namespace: namespace } = params;
  store.requireNamespace(accountId, namespace);
  if (store.getGroup(accountId, namespace, input.groupName)) {
    throw new ApiError('ResourceExistsException', `Group ${store.groupArn(accountId, namespace, input.groupName)} already exists`, 'GROUP');
  }
  const group = store.putGroup({ accountId, namespace, groupName: input.groupName, description: input.description });
  return { status: CREATE_GROUP_STATUS, body: { Group: wireGroup(group) }, groupName: group.groupName };
}

function describeGroup({ store }: OperationContext, { params }: OperationRequest): OperationResult {
  return { status: 200, body: { Group: wireGroup(existingGroup(store, params)) } };
}

/** UpdateGroup: sets the description; without one, the group is left as it is (the record does not say whether it clears it). */
function updateGroup({ store, account }: OperationContext, { params, body }: OperationRequest): OperationResult {
  const input = validateUpdateGroup({ AwsAccountId: params.AwsAccountId, Namespace: params.Namespace, GroupName: params.GroupName }, body);
  const group = existingGroup(store, params);
  account.checkGroupWrite();
  if (input.description !== undefined) group.description = input.description;
  return { status: 200, body: { Group: wireGroup(group) } };
}

function deleteGroup({ store, account }: OperationContext, { params }: OperationRequest): OperationResult {
  const group = existingGroup(store, params);
  account.checkGroupWrite();
  store.deleteGroup(group.accountId, group.namespace, group.groupName);
  return { status: 200, body: {} };
}

function listGroups({ store }: OperationContext, { params, query }: OperationRequest): OperationResult {
  const v = new Violations();
  validateGroupPath(v, { AwsAccountId: params.AwsAccountId, Namespace: params.Namespace });
  const maxResults = validateMaxResults(v, query.get('max-results'));
  v.throwIfAny();
  store.requireNamespace(params.AwsAccountId, params.Namespace);
  const page = store.groupPage(params.AwsAccountId, params.Namespace, query.get('next-token') ?? undefined, maxResults ?? 100);
  return { status: 200, body: { GroupList: page.groups.map(wireGroup), NextToken: page.nextToken } };
}

/** CreateGroupMembership: adding a member again changes nothing and answers the same. */
function createGroupMembership({ store, account }: OperationContext, { params }: OperationRequest): OperationResult {
  const { group, user } = groupAndMember(store, params);
  account.checkGroupWrite();
  store.addMember(group, user);
  return { status: 200, body: { GroupMember: wireMember(user) } };
}

function describeGroupMembership({ store }: OperationContext, { params }: OperationRequest): OperationResult {
  const { group, user } = groupAndMember(store, params);
  if (!store.isMember(group, user)) throw notAMember(user, group);
  return { status: 200, body: { GroupMember: wireMember(user) } };
}

function deleteGroupMembership({ store, account }: OperationContext, { params }: OperationRequest): OperationResult {
  const { group, user } = groupAndMember(store, params);
  if (!store.isMember(group, user)) throw notAMember(user, group);
  account.checkGroupWrite();
  store.removeMember(group, user);
  return { status: 200, body: {} };
}

function listGroupMemberships({ store }: OperationContext, { params, query }: OperationRequest): OperationResult {
  const v = new Violations();
  validateGroupPath(v, { AwsAccountId: params.AwsAccountId, Namespace: params.Namespace, GroupName: params.GroupName });
  const maxResults = validateMaxResults(v, query.get('max-results'));
  v.throwIfAny();
  const group = existingGroup(store, params);
  const page = store.memberPage(group, query.get('next-token') ?? undefined, maxResults ?? 100);
  return { status: 200, body: { GroupMemberList: page.members.map(wireMember), NextToken: page.nextToken } };
}

function listUserGroups({ store }: OperationContext, { params, query }: OperationRequest): OperationResult {
  const v = new Violations();
  validateUserPath(v, { AwsAccountId: params.AwsAccountId, Namespace: params.Namespace, UserName: params.UserName });
  const maxResults = validateMaxResults(v, query.get('max-results'));
  v.throwIfAny();
  const user = existingUser(store, params);
  const page = store.userGroupPage(user, query.get('next-token') ?? undefined, maxResults ?? 100);
  return { status: 200, body: { GroupList: page.groups.map(wireGroup), NextToken: page.nextToken } };
}

/** Validates the path of a group call (GroupName and MemberName when the path has them). */
function validateGroupParams(params: Record<string, string>): void {
  const v = new Violations();
  validateGroupPath(v, { AwsAccountId: params.AwsAccountId, Namespace: params.Namespace, GroupName: params.GroupName, MemberName: params.MemberName });
  v.throwIfAny();
}

/** The group a group path names: validates the path, then requires the namespace and the group. */
function existingGroup(store: UserStore, params: Record<string, string>): EmulatedGroup {
  validateGroupParams(params);
  store.requireNamespace(params.AwsAccountId, params.Namespace);
  const group = store.getGroup(params.AwsAccountId, params.Namespace, params.GroupName);
  if (!group) throw groupNotFound(store.groupArn(params.AwsAccountId, params.Namespace, params.GroupName));
  return group;
}

/** The group and the user a membership path names (the group first: ResourceNotFoundException names the one missing). */
function groupAndMember(store: UserStore, params: Record<string, string>): { group: EmulatedGroup; user: EmulatedUser } {
  const group = existingGroup(store, params);
  const user = store.get(params.AwsAccountId, params.Namespace, params.MemberName);
  if (!user) throw userNotFound(store.userArn(params.AwsAccountId, params.Namespace, params.MemberName));
  return { group, user };
}

function notAMember(user: EmulatedUser, group: EmulatedGroup): ApiError {
  return new ApiError('ResourceNotFoundException', `User ${user.userName} is not a member of group ${group.arn}`);
}

/** The Group shape of the API (members without a value are left out). */
function wireGroup(group: EmulatedGroup): Record<string, unknown> {
  return { Arn: group.arn, GroupName: group.groupName, Description: group.description, PrincipalId: group.principalId };
}

/** The GroupMember shape: the user's ARN and name ('N/A' for a user whose identity is gone, as ListUsers shows it). */
function wireMember(user: EmulatedUser): Record<string, unknown> {
  return { Arn: user.orphaned ? NOT_AVAILABLE : user.arn, MemberName: user.orphaned ? NOT_AVAILABLE : user.userName };
}

/** The user a user path names: validates the path, then requires the namespace and the user. */
function existingUser(store: UserStore, params: Record<string, string>): EmulatedUser {
  const v = new Violations();
  validateUserPath(v, { AwsAccountId: params.AwsAccountId, Namespace: params.Namespace, UserName: params.UserName });
  v.throwIfAny();
  store.requireNamespace(params.AwsAccountId, params.Namespace);
  const user = store.get(params.AwsAccountId, params.Namespace, params.UserName);
  if (!user) throw userNotFound(store.userArn(params.AwsAccountId, params.Namespace, params.UserName));
  return user;
}

/** The user a tag call's ResourceArn names (the emulator holds no other taggable resources). */
function taggedUser(store: UserStore, resourceArn: string): EmulatedUser {
  const parts = parseUserArn(resourceArn);
  if (!parts) {
    if (isQuickSightArn(resourceArn)) throw new ApiError('ResourceNotFoundException', `Resource ${resourceArn} not found`);
    throw invalidParameter(`ResourceArn '${resourceArn}' is not a valid QuickSight resource ARN`);
  }
  const user = parts.region === store.identityRegion ? store.get(parts.accountId, parts.namespace, parts.userName) : undefined;
  if (!user) throw userNotFound(resourceArn);
  return user;
}

function tagLimitExceeded(count: number): ApiError {
  return new ApiError('LimitExceededException', `A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags; this request would leave ${count}`);
}

/** The User shape of the API (members without a value are left out). */
function wireUser(user: EmulatedUser): Record<string, unknown> {
  return {
    Arn: user.orphaned ? NOT_AVAILABLE : user.arn,
    UserName: user.orphaned ? NOT_AVAILABLE : user.userName,
    Email: user.email,
    Role: user.role,
    IdentityType: user.identityType,
    Active: user.active,
    PrincipalId: user.principalId,
    CustomPermissionsName: user.customPermissionsName,
    ExternalLoginFederationProviderType: user.externalLoginFederationProviderType,
    ExternalLoginFederationProviderUrl: user.externalLoginFederationProviderUrl,
    ExternalLoginId: user.externalLoginId,
  };
}
