// The emulated account state: namespaces, users (with their tags) and ListUsers page tokens.
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
  private random: () => number;

  constructor(public readonly identityRegion: string, private readonly seed: number) {
    this.random = mulberry32(seed);
  }

  public reset(): void {
    this.users.clear();
    this.namespaces.clear();
    this.pageTokens.clear();
    this.namespaceTokens.clear();
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
    this.users.set(keyOf(user), user);
    return user;
  }

  /** Deletes the user a name reaches (no error if there is none). */
  public delete(accountId: string, namespace: string, userName: string): void {
    this.users.delete(key(accountId, namespace, userName));
  }

  /** Deletes a user, orphaned or not. */
  public remove(user: EmulatedUser): void {
    this.users.delete(keyOf(user));
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

function compareKeys(a: readonly [string, string], b: readonly [string, string]): number {
  for (let i = 0; i < 2; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}
