// The QuickSight calls the handler makes, behind one small interface so that the lifecycle reads
// as a story and tests can swap the client. The real implementation uses the AWS SDK v3 client,
// which honours AWS_ENDPOINT_URL_QUICKSIGHT (tests point it at the local emulator). Retries: retry.ts.
import {
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
import { type UserAddress, type UserSpec, type UserTag } from '../lib/model';
import { clientOptions, HandlerRetryStrategy } from './retry';

export { RETRY_POLICY } from './retry';

export type { User };

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

function pathOf(address: UserAddress) {
  return { AwsAccountId: address.accountId, Namespace: address.namespace, UserName: address.userName };
}
