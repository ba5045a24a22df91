// The IAM identity behind a QuickSight user of identity type IAM. QuickSight's user record carries
// no IAM ARN: only the user name (the IAM user's name, or `RoleName/SessionName` for a session of a
// role) and the principal id, `federated/iam/<unique id>` for an IAM user (AIDA…) or
// `federated/iam/<unique id>:<session>` for a role (AROA…). The name gives the ARN up to its IAM
// path; IAM itself (ListRoles, ListUsers), when the credentials may read it, gives the path, found
// by the unique id, which IAM never reuses. Where IAM cannot be read, or does not know the id, the
// ARN assumes the path `/` and says so.
import { IAMClient, ListRolesCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { readClientOptions, errorName } from './read';

/** An IAM user or role, as IAM lists it. */
export interface IamIdentity {
  readonly kind: 'user' | 'role';
  readonly name: string;
  /** AIDA… for a user, AROA… for a role. */
  readonly uniqueId: string;
  readonly arn: string;
}

/** Reads IAM's users and roles (every page). */
export interface IamReader {
  listRoles(): Promise<IamIdentity[]>;
  listUsers(): Promise<IamIdentity[]>;
  destroy?(): void;
}

/** The AWS SDK's IAM client, with the standard credential chain; AWS_ENDPOINT_URL_IAM points it elsewhere. */
export class SdkIamReader implements IamReader {
  private readonly client: IAMClient;

  constructor(region: string) {
    this.client = new IAMClient(readClientOptions(region));
  }

  public async listRoles(): Promise<IamIdentity[]> {
    const roles: IamIdentity[] = [];
    let marker: string | undefined;
    do {
      const out = await this.client.send(new ListRolesCommand({ Marker: marker, MaxItems: 1000 }));
      roles.push(...(out.Roles ?? []).map((r) => ({ kind: 'role' as const, name: r.RoleName!, uniqueId: r.RoleId!, arn: r.Arn! })));
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    return roles;
  }

  public async listUsers(): Promise<IamIdentity[]> {
    const users: IamIdentity[] = [];
    let marker: string | undefined;
    do {
      const out = await this.client.send(new ListUsersCommand({ Marker: marker, MaxItems: 1000 }));
      users.push(...(out.Users ?? []).map((u) => ({ kind: 'user' as const, name: u.UserName!, uniqueId: u.UserId!, arn: u.Arn! })));
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    return users;
  }

  public destroy(): void {
    this.client.destroy();
  }
}

/** What IAM told, for one kind of identity: the identities, or why they could not be read. */
export type IamListing = { readonly identities: IamIdentity[] } | { readonly error: IamReadError };

/** Why IAM could not be read: the call, the error's name, and its message (said once, not per user). */
export interface IamReadError {
  readonly action: string;
  readonly name: string;
  readonly message: string;
}

/** How an IAM ARN was found. */
export type IamArnSource =
  /** IAM lists an identity with the unique id of the user's principal id: the ARN is exact. */
  | 'confirmed'
  /** IAM lists an identity of that name but another unique id (deleted and made again?). */
  | 'name-only'
  /** IAM lists no identity of that name or id. */
  | 'not-in-iam'
  /** IAM was not read (refused, failed, or not asked). */
  | 'unread';

export interface ResolvedIamIdentity {
  readonly iamArn: string;
  readonly sessionName?: string;
  readonly source: IamArnSource;
  /** Why the ARN is not certain, for a comment on the user (undefined when confirmed). */
  readonly note?: string;
}

/** The unique id and session of an IAM principal id (`federated/iam/AROA…:session`). */
export function parseIamPrincipalId(principalId: string | undefined): { uniqueId: string; kind?: 'user' | 'role'; session?: string } | undefined {
  const match = /^federated\/iam\/([A-Z0-9]+)(?::(.+))?$/.exec(principalId ?? '');
  if (!match) return undefined;
  const [, uniqueId, session] = match;
  const kind = uniqueId.startsWith('AIDA') ? 'user' : uniqueId.startsWith('AROA') ? 'role' : undefined;
  return { uniqueId, kind, session };
}

/** Which kind of IAM identity a QuickSight IAM user was registered for: its principal id says, else its name. */
export function iamKindOf(userName: string, principalId: string | undefined): 'user' | 'role' {
  if (userName.includes('/')) return 'role';
  return parseIamPrincipalId(principalId)?.kind ?? 'user';
}

/**
 * The IAM ARN (and session name) to declare a QuickSight IAM user with: rebuilt from its name in
 * the account, with the path IAM lists for the unique id of its principal id when IAM was read.
 */
export function resolveIamIdentity(
  user: { userName: string; principalId?: string },
  awsAccountId: string,
  partition: string,
  listings: { readonly role?: IamListing; readonly user?: IamListing },
): ResolvedIamIdentity {
  const kind = iamKindOf(user.userName, user.principalId);
  const [name, sessionName] = kind === 'role' && user.userName.includes('/') ? splitOnce(user.userName, '/') : [user.userName, undefined];
  const assumed = `arn:${partition}:iam::${awsAccountId}:${kind}/${name}`;
  const what = kind === 'role' ? 'role' : 'user';
  const listing = kind === 'role' ? listings.role : listings.user;
  const uniqueId = parseIamPrincipalId(user.principalId)?.uniqueId;
  const correct = 'correct it if it is wrong (an IAM path change is an update in place, not a new user)';
  if (listing === undefined || 'error' in listing) {
    const why = listing === undefined ? 'IAM not read' : `${listing.error.action}: ${listing.error.name}`;
    return { iamArn: assumed, sessionName, source: 'unread', note: `IAM path not confirmed (${why}): the ARN assumes the path /; ${correct}` };
  }
  const byId = uniqueId === undefined ? undefined : listing.identities.find((i) => i.uniqueId === uniqueId);
  if (byId) return { iamArn: byId.arn, sessionName, source: 'confirmed' };
  const byName = listing.identities.find((i) => i.name === name);
  if (byName) {
    return {
      iamArn: byName.arn, sessionName, source: 'name-only',
      note: `IAM path not confirmed: IAM ${what} ${name} has the unique id ${byName.uniqueId}, not the ${uniqueId ?? '(none)'} of this user's principal id (deleted and made again?); the ARN is that ${what}'s; ${correct}`,
    };
  }
  return {
    iamArn: assumed, sessionName, source: 'not-in-iam',
    note: `IAM path not confirmed: IAM lists no ${what} named ${name} or with the unique id ${uniqueId ?? '(none)'}; the ARN assumes the path /; ${correct}`,
  };
}

/** Lists one kind of identity, turning a refusal or failure into the reason (export goes on without IAM). */
export async function listIam(action: string, list: () => Promise<IamIdentity[]>): Promise<IamListing> {
  try {
    return { identities: await list() };
  } catch (error) {
    return { error: { action, name: errorName(error) ?? 'Error', message: firstLine((error as Error).message) } };
  }
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return [text.slice(0, at), text.slice(at + separator.length)];
}

function firstLine(text: string): string {
  const line = String(text ?? '').split('\n')[0];
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
