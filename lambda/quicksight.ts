// The QuickSight calls the handler makes, behind one small interface so that the lifecycle reads
// as a story and tests can swap the client. The real implementation uses the AWS SDK v3 client,
// which honours AWS_ENDPOINT_URL_QUICKSIGHT (tests point it at the local emulator). Retries: retry.ts.
import {
  CreateGroupCommand,
  CreateGroupMembershipCommand,
  DeleteGroupCommand,
  DeleteGroupMembershipCommand,
  DescribeGroupCommand,
  DescribeGroupMembershipCommand,
  ListUserGroupsCommand,
  UpdateGroupCommand,
  type Group,
  DeleteUserCommand,
  DescribeUserCommand,
  ListTagsForResourceCommand,
  QuickSightClient,
  RegisterUserCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateUserCommand,
  type User,
} from '@aws-sdk/client-quicksight';
import type { GroupAddress } from '../lib/group-model';
import { type UserAddress, type UserSpec, type UserTag } from '../lib/model';
import { clientOptions, HandlerRetryStrategy } from './retry';

export { RETRY_POLICY } from './retry';

export type { Group, User };

/** The fields UpdateUser takes besides the user's address. */
export interface UserUpdate {
  readonly Email: string;
  readonly Role: string;
  readonly CustomPermissionsName?: string;
  readonly UnapplyCustomPermissions?: boolean;
  readonly ExternalLoginFederationProviderType?: string;
  readonly CustomFederationProviderUrl?: string;
  readonly ExternalLoginId?: string;
}

export interface QuickSightUsers {
  register(spec: UserSpec, tags: UserTag[]): Promise<{ user: User; invitationUrl?: string }>;
  describe(address: UserAddress): Promise<User>;
  update(address: UserAddress, update: UserUpdate): Promise<User>;
  delete(address: UserAddress): Promise<void>;
  listTags(arn: string): Promise<Record<string, string>>;
  tag(arn: string, tags: UserTag[]): Promise<void>;
  untag(arn: string, keys: string[]): Promise<void>;
  createGroup(address: GroupAddress, description: string | undefined): Promise<Group>;
  describeGroup(address: GroupAddress): Promise<Group>;
  updateGroup(address: GroupAddress, description: string): Promise<Group>;
  deleteGroup(address: GroupAddress): Promise<void>;
  /** CreateGroupMembership: makes the user a member (QuickSight answers 200 when it already is). */
  addMember(group: GroupAddress, memberName: string): Promise<void>;
  /** DeleteGroupMembership. */
  removeMember(group: GroupAddress, memberName: string): Promise<void>;
  /** DescribeGroupMembership: whether the user is a member (false when the group or the membership is missing). */
  isMember(group: GroupAddress, memberName: string): Promise<boolean>;
  /** ListUserGroups, every page: the names of the user's groups. */
  listUserGroups(address: UserAddress): Promise<string[]>;
  /** The calls made, by operation (for the log line and tests). */
  readonly calls?: CallCounts;
  /** The operation that failed last, or else the one called last: what a FAILED reason is about. */
  readonly lastOperation?: string;
  /** The last error that was retried: reported when the deadline cuts the retries short. */
  readonly lastRetriedError?: unknown;
  /** Closes the client's connections. */
  destroy?(): void;
}

/** Counts the calls made, by operation, for logs and tests. */
export type CallCounts = Record<string, number>;

export class SdkQuickSightUsers implements QuickSightUsers {
  public readonly calls: CallCounts = {};
  /** The operation that failed last, or else the one called last. */
  public lastOperation?: string;
  private failed = false;
  private readonly client: QuickSightClient;
  private readonly retryStrategy = new HandlerRetryStrategy();

  constructor(region: string, private readonly abortSignal?: AbortSignal) {
    this.client = new QuickSightClient(clientOptions(region, this.retryStrategy));
  }

  /** Closes the client's connections: each event gets a client of its own. */
  public destroy(): void {
    this.client.destroy();
  }

  public get lastRetriedError(): unknown {
    return this.retryStrategy.lastRetriedError;
  }

  public async register(spec: UserSpec, tags: UserTag[]) {
    const out = await this.send('RegisterUser', (options) => this.client.send(new RegisterUserCommand({
      AwsAccountId: spec.AwsAccountId,
      Namespace: spec.Namespace,
      IdentityType: spec.IdentityType as RegisterUserCommand['input']['IdentityType'],
      Email: spec.Email,
      UserRole: spec.UserRole as RegisterUserCommand['input']['UserRole'],
      IamArn: spec.IamArn,
      SessionName: spec.SessionName,
      UserName: spec.UserName,
      CustomPermissionsName: spec.CustomPermissionsName,
      ExternalLoginFederationProviderType: spec.ExternalLoginFederationProviderType,
      CustomFederationProviderUrl: spec.CustomFederationProviderUrl,
      ExternalLoginId: spec.ExternalLoginId,
      Tags: tags.length > 0 ? tags : undefined,
    }), options));
    return { user: out.User!, invitationUrl: out.UserInvitationUrl };
  }

  public async describe(address: UserAddress) {
    const out = await this.send('DescribeUser', (options) => this.client.send(new DescribeUserCommand(pathOf(address)), options));
    return out.User!;
  }

  public async update(address: UserAddress, update: UserUpdate) {
    const out = await this.send('UpdateUser', (options) => this.client.send(new UpdateUserCommand({
      ...pathOf(address),
      ...update,
      Role: update.Role as UpdateUserCommand['input']['Role'],
    }), options));
    return out.User!;
  }

  public async delete(address: UserAddress) {
    await this.send('DeleteUser', (options) => this.client.send(new DeleteUserCommand(pathOf(address)), options));
  }

  public async listTags(arn: string) {
    const out = await this.send('ListTagsForResource', (options) => this.client.send(new ListTagsForResourceCommand({ ResourceArn: arn }), options));
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key!, t.Value!]));
  }

  public async tag(arn: string, tags: UserTag[]) {
    await this.send('TagResource', (options) => this.client.send(new TagResourceCommand({ ResourceArn: arn, Tags: tags }), options));
  }

  public async untag(arn: string, keys: string[]) {
    await this.send('UntagResource', (options) => this.client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: keys }), options));
  }

  public async createGroup(address: GroupAddress, description: string | undefined) {
    const out = await this.send('CreateGroup', (options) => this.client.send(new CreateGroupCommand({
      ...groupPathOf(address), Description: description,
    }), options));
    return out.Group!;
  }

  public async describeGroup(address: GroupAddress) {
    const out = await this.send('DescribeGroup', (options) => this.client.send(new DescribeGroupCommand(groupPathOf(address)), options));
    return out.Group!;
  }

  public async updateGroup(address: GroupAddress, description: string) {
    const out = await this.send('UpdateGroup', (options) => this.client.send(new UpdateGroupCommand({ ...groupPathOf(address), Description: description }), options));
    return out.Group!;
  }

  public async deleteGroup(address: GroupAddress) {
    await this.send('DeleteGroup', (options) => this.client.send(new DeleteGroupCommand(groupPathOf(address)), options));
  }

  public async addMember(group: GroupAddress, memberName: string) {
    await this.send('CreateGroupMembership', (options) => this.client.send(new CreateGroupMembershipCommand({ ...groupPathOf(group), MemberName: memberName }), options));
  }

  public async removeMember(group: GroupAddress, memberName: string) {
    await this.send('DeleteGroupMembership', (options) => this.client.send(new DeleteGroupMembershipCommand({ ...groupPathOf(group), MemberName: memberName }), options));
  }

  public async isMember(group: GroupAddress, memberName: string) {
    try {
      await this.send('DescribeGroupMembership', (options) => this.client.send(new DescribeGroupMembershipCommand({ ...groupPathOf(group), MemberName: memberName }), options));
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') {
        // An answer, not a failure: it must not become what a later FAILED reason is about.
        this.forgetFailure();
        return false;
      }
      throw error;
    }
  }

  public async listUserGroups(address: UserAddress) {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.send('ListUserGroups', (options) => this.client.send(new ListUserGroupsCommand({ ...pathOf(address), NextToken: nextToken, MaxResults: 100 }), options));
      names.push(...(out.GroupList ?? []).map((g) => g.GroupName!).filter((n) => n !== undefined));
      nextToken = out.NextToken;
    } while (nextToken);
    return names;
  }

  /** The last failure was an expected answer (a 404 asked about): the next call is what a FAILED reason is about. */
  private forgetFailure(): void {
    this.failed = false;
  }

  /**
   * Sends one command under the event's deadline, counting it. `lastOperation` names the command
   * that failed last (the one a FAILED reason is about, even when a later call succeeded), or else
   * the one sent last.
   */
  private async send<Output>(operation: string, request: (options: { abortSignal?: AbortSignal }) => Promise<Output>): Promise<Output> {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    if (!this.failed) this.lastOperation = operation;
    try {
      return await request({ abortSignal: this.abortSignal });
    } catch (error) {
      this.lastOperation = operation;
      this.failed = true;
      throw error;
    }
  }

}

function groupPathOf(address: GroupAddress) {
  return { AwsAccountId: address.accountId, Namespace: address.namespace, GroupName: address.groupName };
}

function pathOf(address: UserAddress) {
  return { AwsAccountId: address.accountId, Namespace: address.namespace, UserName: address.userName };
}
