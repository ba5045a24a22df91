// The emulated account state: namespaces, users (with their tags), groups, group memberships and
// the page tokens of the list calls.
import { ApiError, namespaceNotFound } from './errors';
import { mulberry32 } from './faults';

export interface EmulatedUser {
  accountId: string;
  namespace: string;
  region: string;
  arn: string;
  userName: string;
  email: string;
  role: string;
  identityType: string;
  active: boolean;
  principalId: string;
  iamArn?: string;
  sessionName?: string;
  customPermissionsName?: string;
  externalLoginFederationProviderType?: string;
  externalLoginFederationProviderUrl?: string;
  externalLoginId?: string;
  tags: Record<string, string>;
  /**
   * The identity behind the user is gone (an IAM user or role deleted in IAM): ListUsers shows the
   * user with UserName and Arn 'N/A' (aws/aws-sdk#135, "ARN and user names returned via quicksight
   * list-users has a value of N/A"; ekristen/aws-nuke#312 deletes users by PrincipalId because "it
   * was possible to have users without a UserName"). Its name no longer reaches it: DescribeUser,
   * UpdateUser, DeleteUser and the tag calls answer ResourceNotFoundException, and the name can be
   * registered again; DeleteUserByPrincipalId still removes it. (How QuickSight answers a call by
   * the old name is not in the record; not finding it is the reading the N/A rows suggest.)
   */
  orphaned?: boolean;
}

/** What putUser() takes: a user made by hand. Left out: namespace 'default', active per identity type, a new principal id, no tags. */
export type UserSeed = Omit<EmulatedUser, 'namespace' | 'region' | 'arn' | 'active' | 'principalId' | 'tags' | 'orphaned'>
  & Partial<Pick<EmulatedUser, 'namespace' | 'active' | 'principalId' | 'tags' | 'orphaned'>>;

/** What ListUsers shows for the name and ARN of a user whose identity is gone. */
export const NOT_AVAILABLE = 'N/A';

export interface EmulatedGroup {
  accountId: string;
  namespace: string;
  region: string;
  arn: string;
  groupName: string;
  description?: string;
  principalId: string;
}

/** What putGroup() takes: a group made by hand. Left out: namespace 'default', a new principal id. */
export type GroupSeed = Pick<EmulatedGroup, 'accountId' | 'groupName'> & Partial<Pick<EmulatedGroup, 'namespace' | 'description' | 'principalId'>>;

/** Where a token of ListGroups, ListGroupMemberships or ListUserGroups lets the next page start. */
interface ListCursor {
  /** The listing the token belongs to (the call, the account, the namespace, the group or user). */
  readonly scope: string;
  readonly after: readonly [string, string];
}

interface PageCursor {
  readonly accountId: string;
  readonly namespace: string;
  /** The sort key (listed name, then principal id) the next page starts after. */
  readonly after: readonly [string, string];
}

export const DEFAULT_NAMESPACE = 'default';

export class UserStore {
  private users = new Map<string, EmulatedUser>();
  private namespaces = new Set<string>();
  private pageTokens = new Map<string, PageCursor>();
  private namespaceTokens = new Map<string, { accountId: string; offset: number }>();
  private groups = new Map<string, EmulatedGroup>();
  /** Group key -> the principal ids of its members (a member is a user of the group's namespace). */
  private memberships = new Map<string, Set<string>>();
  private listTokens = new Map<string, ListCursor>();
  private random: () => number;

  constructor(public readonly identityRegion: string, private readonly seed: number) {
    this.random = mulberry32(seed);
  }

  public reset(): void {
    this.users.clear();
    this.namespaces.clear();
    this.pageTokens.clear();
    this.namespaceTokens.clear();
    this.groups.clear();
    this.memberships.clear();
    this.listTokens.clear();
    this.random = mulberry32(this.seed);
  }

  public addNamespace(accountId: string, namespace: string): void {
    this.namespaces.add(key(accountId, namespace));
  }

  public requireNamespace(accountId: string, namespace: string): void {
    if (namespace !== DEFAULT_NAMESPACE && !this.namespaces.has(key(accountId, namespace))) throw namespaceNotFound(namespace);
  }

  /** The namespaces of an account, by name: 'default' (always there) and those added. */
  public namespaceNames(accountId: string): string[] {
    const added = [...this.namespaces].map((k) => k.split('\u0000')).filter(([account]) => account === accountId).map(([, name]) => name);
    return [...new Set([DEFAULT_NAMESPACE, ...added])].sort();
  }

  /** One ListNamespaces page and the token of the next one (none when this page is the last). */
  public namespacePage(accountId: string, nextToken: string | undefined, size: number): { names: string[]; nextToken?: string } {
    let offset = 0;
    if (nextToken !== undefined) {
      const cursor = this.namespaceTokens.get(nextToken);
      if (!cursor || cursor.accountId !== accountId) throw new ApiError('InvalidNextTokenException', 'The NextToken provided is not valid');
      offset = cursor.offset;
    }
    const all = this.namespaceNames(accountId);
    const names = all.slice(offset, offset + size);
    let token: string | undefined;
    if (offset + size < all.length) {
      token = this.randomToken(48);
      this.namespaceTokens.set(token, { accountId, offset: offset + size });
    }
    return { names, nextToken: token };
  }

  public userArn(accountId: string, namespace: string, userName: string): string {
    return `arn:aws:quicksight:${this.identityRegion}:${accountId}:user/${namespace}/${userName}`;
  }

  /** The user a name reaches (an orphaned user is reached by no name). */
  public get(accountId: string, namespace: string, userName: string): EmulatedUser | undefined {
    return this.users.get(key(accountId, namespace, userName));
  }

  public findByPrincipalId(accountId: string, namespace: string, principalId: string): EmulatedUser | undefined {
    return this.all().find((u) => u.accountId === accountId && u.namespace === namespace && u.principalId === principalId);
  }

  /** All users, in creation order (the live objects: callers copy them before handing them out). */
  public all(): EmulatedUser[] {
    return [...this.users.values()];
  }

  /** Adds or replaces a user, filling in what the seed leaves out. */
  public put(seed: UserSeed): EmulatedUser {
    const namespace = seed.namespace ?? DEFAULT_NAMESPACE;
    if (namespace !== DEFAULT_NAMESPACE) this.addNamespace(seed.accountId, namespace);
    const user: EmulatedUser = {
      accountId: seed.accountId,
      namespace,
      region: this.identityRegion,
      arn: this.userArn(seed.accountId, namespace, seed.userName),
      userName: seed.userName,
      email: seed.email,
      role: seed.role,
      identityType: seed.identityType,
      // A QUICKSIGHT user is inactive until they accept the invitation.
      active: seed.active ?? seed.identityType !== 'QUICKSIGHT',
      principalId: seed.principalId ?? this.newPrincipalId(seed.identityType, seed.iamArn, seed.sessionName),
      iamArn: seed.iamArn,
      sessionName: seed.sessionName,
      customPermissionsName: seed.customPermissionsName,
      externalLoginFederationProviderType: seed.externalLoginFederationProviderType,
      externalLoginFederationProviderUrl: seed.externalLoginFederationProviderUrl,
      externalLoginId: seed.externalLoginId,
      tags: { ...(seed.tags ?? {}) },
    };
    if (seed.orphaned) user.orphaned = true;
    const replaced = this.users.get(keyOf(user));
    if (replaced && replaced.principalId !== user.principalId) this.dropMemberships(replaced);
    this.users.set(keyOf(user), user);
    return user;
  }

  /** Deletes the user a name reaches, and its group memberships (no error if there is none). */
  public delete(accountId: string, namespace: string, userName: string): void {
    const user = this.get(accountId, namespace, userName);
    if (user) this.remove(user);
  }

  /** Deletes a user, orphaned or not, and its group memberships. */
  public remove(user: EmulatedUser): void {
    this.users.delete(keyOf(user));
    this.dropMemberships(user);
  }

  /** The identity behind a user is gone: only its principal id reaches it from now on. */
  public orphan(accountId: string, namespace: string, userName: string): EmulatedUser | undefined {
    const user = this.get(accountId, namespace, userName);
    if (!user) return undefined;
    this.users.delete(keyOf(user));
    user.orphaned = true;
    this.users.set(keyOf(user), user);
    return user;
  }

  /** One ListUsers page and the token of the next one (none when this page is the last). */
  public page(accountId: string, namespace: string, nextToken: string | undefined, size: number) {
    let after: readonly [string, string] | undefined;
    if (nextToken !== undefined) {
      const cursor = this.pageTokens.get(nextToken);
      if (!cursor || cursor.accountId !== accountId || cursor.namespace !== namespace) {
        throw new ApiError('InvalidNextTokenException', 'The NextToken provided is not valid');
      }
      after = cursor.after;
    }
    const sorted = this.all()
      .filter((u) => u.accountId === accountId && u.namespace === namespace)
      .sort((a, b) => compareKeys(sortKey(a), sortKey(b)));
    const remaining = after === undefined ? sorted : sorted.filter((u) => compareKeys(sortKey(u), after!) > 0);
    const users = remaining.slice(0, size);
    let token: string | undefined;
    if (remaining.length > size) {
      token = this.randomToken(48);
      this.pageTokens.set(token, { accountId, namespace, after: sortKey(users[users.length - 1]) });
    }
    return { users, nextToken: token };
  }

  // ---- groups ----

  public groupArn(accountId: string, namespace: string, groupName: string): string {
    return `arn:aws:quicksight:${this.identityRegion}:${accountId}:group/${namespace}/${groupName}`;
  }

  public getGroup(accountId: string, namespace: string, groupName: string): EmulatedGroup | undefined {
    return this.groups.get(key(accountId, namespace, groupName));
  }

  /** All groups, in creation order (the live objects: callers copy them before handing them out). */
  public allGroups(): EmulatedGroup[] {
    return [...this.groups.values()];
  }

  /** Adds or replaces a group (a replaced group loses its members), filling in what the seed leaves out. */
  public putGroup(seed: GroupSeed): EmulatedGroup {
    const namespace = seed.namespace ?? DEFAULT_NAMESPACE;
    if (namespace !== DEFAULT_NAMESPACE) this.addNamespace(seed.accountId, namespace);
    const group: EmulatedGroup = {
      accountId: seed.accountId,
      namespace,
      region: this.identityRegion,
      arn: this.groupArn(seed.accountId, namespace, seed.groupName),
      groupName: seed.groupName,
      description: seed.description,
      principalId: seed.principalId ?? this.newGroupPrincipalId(seed.accountId),
    };
    const groupKey = key(seed.accountId, namespace, seed.groupName);
    this.groups.set(groupKey, group);
    this.memberships.set(groupKey, new Set());
    return group;
  }

  /** Deletes a group and all its memberships; whether there was one. */
  public deleteGroup(accountId: string, namespace: string, groupName: string): boolean {
    const groupKey = key(accountId, namespace, groupName);
    this.memberships.delete(groupKey);
    return this.groups.delete(groupKey);
  }

  /** Makes a user of the group's namespace a member; whether it was not one before. */
  public addMember(group: EmulatedGroup, user: EmulatedUser): boolean {
    const members = this.membersSet(group);
    if (members.has(user.principalId)) return false;
    members.add(user.principalId);
    return true;
  }

  /** Ends a membership; whether there was one. */
  public removeMember(group: EmulatedGroup, user: EmulatedUser): boolean {
    return this.membersSet(group).delete(user.principalId);
  }

  public isMember(group: EmulatedGroup, user: EmulatedUser): boolean {
    return this.membersSet(group).has(user.principalId);
  }

  /** The members of a group (orphaned users included), as ListGroupMemberships orders them. */
  public membersOf(group: EmulatedGroup): EmulatedUser[] {
    const members = this.membersSet(group);
    return this.all()
      .filter((u) => u.accountId === group.accountId && u.namespace === group.namespace && members.has(u.principalId))
      .sort((a, b) => compareKeys(sortKey(a), sortKey(b)));
  }

  /** The groups a user is a member of, by name. */
  public groupsOf(user: EmulatedUser): EmulatedGroup[] {
    return this.allGroups()
      .filter((g) => g.accountId === user.accountId && g.namespace === user.namespace && this.membersSet(g).has(user.principalId))
      .sort((a, b) => compareKeys(groupSortKey(a), groupSortKey(b)));
  }

  /** One ListGroups page (groups by name) and the token of the next one. */
  public groupPage(accountId: string, namespace: string, nextToken: string | undefined, size: number): { groups: EmulatedGroup[]; nextToken?: string } {
    const all = this.allGroups().filter((g) => g.accountId === accountId && g.namespace === namespace).sort((a, b) => compareKeys(groupSortKey(a), groupSortKey(b)));
    const page = this.listPage(key('ListGroups', accountId, namespace), all, groupSortKey, nextToken, size);
    return { groups: page.items, nextToken: page.nextToken };
  }

  /** One ListGroupMemberships page (members by the name they show) and the token of the next one. */
  public memberPage(group: EmulatedGroup, nextToken: string | undefined, size: number): { members: EmulatedUser[]; nextToken?: string } {
    const page = this.listPage(key('ListGroupMemberships', group.accountId, group.namespace, group.groupName), this.membersOf(group), sortKey, nextToken, size);
    return { members: page.items, nextToken: page.nextToken };
  }

  /** One ListUserGroups page (groups by name) and the token of the next one. */
  public userGroupPage(user: EmulatedUser, nextToken: string | undefined, size: number): { groups: EmulatedGroup[]; nextToken?: string } {
    const page = this.listPage(key('ListUserGroups', user.accountId, user.namespace, user.principalId), this.groupsOf(user), groupSortKey, nextToken, size);
    return { groups: page.items, nextToken: page.nextToken };
  }

  private membersSet(group: EmulatedGroup): Set<string> {
    const groupKey = key(group.accountId, group.namespace, group.groupName);
    let members = this.memberships.get(groupKey);
    if (!members) {
      members = new Set();
      this.memberships.set(groupKey, members);
    }
    return members;
  }

  /** A user is gone: it is no member of any group of its namespace any more. */
  private dropMemberships(user: EmulatedUser): void {
    for (const group of this.allGroups()) {
      if (group.accountId === user.accountId && group.namespace === user.namespace) this.membersSet(group).delete(user.principalId);
    }
  }

  /**
   * One page of a sorted listing, after the item a token points to; a token is good only for the
   * listing (`scope`) that issued it (InvalidNextTokenException otherwise).
   */
  private listPage<T>(scope: string, sorted: T[], sortKeyOf: (item: T) => readonly [string, string], nextToken: string | undefined, size: number) {
    let remaining = sorted;
    if (nextToken !== undefined) {
      const cursor = this.listTokens.get(nextToken);
      if (!cursor || cursor.scope !== scope) throw new ApiError('InvalidNextTokenException', 'The NextToken provided is not valid');
      remaining = sorted.filter((item) => compareKeys(sortKeyOf(item), cursor.after) > 0);
    }
    const items = remaining.slice(0, size);
    let token: string | undefined;
    if (remaining.length > size) {
      token = this.randomToken(48);
      this.listTokens.set(token, { scope, after: sortKeyOf(items[items.length - 1]) });
    }
    return { items, nextToken: token };
  }

  /**
   * A group principal id as QuickSight shows them (a public CLI transcript:
   * "group/d-906711e6d5/bf3a3a49-4b6a-4c47-be1b-8c2aca6143ea"): the account's directory id, then a
   * UUID. Only uniqueness is documented. The directory id is derived from the account id, so it
   * draws nothing from the seeded sequence the other ids come from.
   */
  private newGroupPrincipalId(accountId: string): string {
    const directory = mulberry32(Number(accountId.replace(/\D/g, '').slice(-9) || '0') ^ this.seed);
    const directoryId = `d-${Array.from({ length: 10 }, () => Math.floor(directory() * 16).toString(16)).join('')}`;
    let principalId: string;
    do {
      principalId = `group/${directoryId}/${this.randomHex(8)}-${this.randomHex(4)}-4${this.randomHex(3)}-a${this.randomHex(3)}-${this.randomHex(12)}`;
    } while (this.allGroups().some((g) => g.principalId === principalId));
    return principalId;
  }

  public newRequestId(): string {
    const hex = this.randomHex(32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  }

  public newInvitationUrl(accountId: string): string {
    return `https://${this.identityRegion}.quicksight.aws.amazon.com/sn/accounts/${accountId}/invite/${this.randomHex(32)}`;
  }

  private newPrincipalId(identityType: string, iamArn?: string, sessionName?: string): string {
    let principalId: string;
    do principalId = this.principalIdShape(identityType, iamArn, sessionName);
    while (this.all().some((u) => u.principalId === principalId));
    return principalId;
  }

  // Only uniqueness is documented; the shapes follow what real principal ids look like.
  private principalIdShape(identityType: string, iamArn?: string, sessionName?: string): string {
    const id = this.randomToken(17).toUpperCase();
    switch (identityType) {
      case 'IAM':
        return iamArn?.includes(':role/') ? `federated/iam/AROA${id}${sessionName ? `:${sessionName}` : ''}` : `federated/iam/AIDA${id}`;
      case 'IAM_IDENTITY_CENTER':
        return `federated/iam_identity_center/${this.randomHex(8)}-${this.randomHex(4)}-${this.randomHex(4)}-${this.randomHex(4)}-${this.randomHex(12)}`;
      default:
        return `federated/quicksight/${this.randomHex(24)}`;
    }
  }

  private randomHex(length: number): string {
    return Array.from({ length }, () => Math.floor(this.random() * 16).toString(16)).join('');
  }

  private randomToken(length: number): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    return Array.from({ length }, () => alphabet[Math.floor(this.random() * alphabet.length)]).join('');
  }
}

function key(...parts: string[]): string {
  return parts.join('\u0000');
}

/** Where a user is kept: under its name, or (orphaned) under its principal id, which no name can spell. */
function keyOf(user: EmulatedUser): string {
  return user.orphaned ? key(user.accountId, user.namespace, '\u0001orphaned', user.principalId) : key(user.accountId, user.namespace, user.userName);
}

/** Users are listed by the name ListUsers shows, then by principal id (several may show 'N/A'). */
function sortKey(user: EmulatedUser): readonly [string, string] {
  return [user.orphaned ? NOT_AVAILABLE : user.userName, user.principalId];
}

/** Groups are listed by name (unique in a namespace). */
function groupSortKey(group: EmulatedGroup): readonly [string, string] {
  return [group.groupName, group.principalId];
}

function compareKeys(a: readonly [string, string], b: readonly [string, string]): number {
  for (let i = 0; i < 2; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}
