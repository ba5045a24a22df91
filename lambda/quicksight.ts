// The QuickSight calls the handler makes, behind one small interface so that the lifecycle reads
// as a story and tests can swap the client. The real implementation uses the AWS SDK v3 client,
// which honours AWS_ENDPOINT_URL_QUICKSIGHT (tests point it at the local emulator).
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
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, StandardRetryToken } from '@smithy/types';
import { type UserAddress, type UserSpec, type UserTag } from '../lib/model';

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
}

/**
 * Retries: throttling, 5xx, timeouts and dropped connections, with full-jitter exponential backoff
 * (the SDK's standard strategy, configured). The whole event is also bounded by a deadline (see
 * index.ts), so the handler answers before its Lambda timeout however long QuickSight misbehaves.
 */
export const RETRY_POLICY = {
  // Enough to outlast the queue when a whole stack's users are created at once against a throttled
  // API (492 users at 10 requests/s: about 49 s; 40 attempts retry for about 90 s): BENCHMARKS.md.
  maxAttempts: 40,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 15_000,
};

class QuickSightRetryStrategy extends ConfiguredRetryStrategy {
  /** The last error that was retried: reported when the deadline cuts the retries short. */
  public lastRetriedError?: unknown;

  constructor() {
    super(RETRY_POLICY.maxAttempts, (attempt: number) =>
      Math.floor(Math.random() * Math.min(RETRY_POLICY.maxDelayMs, RETRY_POLICY.baseDelayMs * 2 ** attempt)));
  }

  public async refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
    // The SDK classes LimitExceededException as throttling, but for QuickSight it is a hard account
    // limit (users, tags): retrying only delays the failure.
    if ((errorInfo.error as { name?: string } | undefined)?.name === 'LimitExceededException') {
      throw new Error('LimitExceededException is not retried');
    }
    this.lastRetriedError = errorInfo.error;
    return super.refreshRetryTokenForRetry(token, errorInfo);
  }
}

/** Counts the calls made, by operation, for logs and tests. */
export type CallCounts = Record<string, number>;

export class SdkQuickSightUsers implements QuickSightUsers {
  public readonly calls: CallCounts = {};
  /** The operation called last: the one that failed, when a step fails. */
  public lastOperation?: string;
  private readonly client: QuickSightClient;
  private readonly retryStrategy = new QuickSightRetryStrategy();

  constructor(region: string, private readonly abortSignal?: AbortSignal) {
    this.client = new QuickSightClient({
      region,
      retryStrategy: this.retryStrategy,
      requestHandler: {
        connectionTimeout: RETRY_POLICY.connectionTimeoutMs,
        requestTimeout: RETRY_POLICY.requestTimeoutMs,
      },
    });
  }

  /** Closes the client's connections: each event gets a client of its own. */
  public destroy(): void {
    this.client.destroy();
  }

  public get lastRetriedError(): unknown {
    return this.retryStrategy.lastRetriedError;
  }

  public async register(spec: UserSpec, tags: UserTag[]) {
    const out = await this.client.send(new RegisterUserCommand({
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
    }), this.call('RegisterUser'));
    return { user: out.User!, invitationUrl: out.UserInvitationUrl };
  }

  public async describe(address: UserAddress) {
    const out = await this.client.send(new DescribeUserCommand(pathOf(address)), this.call('DescribeUser'));
    return out.User!;
  }

  public async update(address: UserAddress, update: UserUpdate) {
    const out = await this.client.send(new UpdateUserCommand({
      ...pathOf(address),
      ...update,
      Role: update.Role as UpdateUserCommand['input']['Role'],
    }), this.call('UpdateUser'));
    return out.User!;
  }

  public async delete(address: UserAddress) {
    await this.client.send(new DeleteUserCommand(pathOf(address)), this.call('DeleteUser'));
  }

  public async listTags(arn: string) {
    const out = await this.client.send(new ListTagsForResourceCommand({ ResourceArn: arn }), this.call('ListTagsForResource'));
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key!, t.Value!]));
  }

  public async tag(arn: string, tags: UserTag[]) {
    await this.client.send(new TagResourceCommand({ ResourceArn: arn, Tags: tags }), this.call('TagResource'));
  }

  public async untag(arn: string, keys: string[]) {
    await this.client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: keys }), this.call('UntagResource'));
  }

  /** Counts the call, then returns the options every send takes (the event's deadline). */
  private call(operation: string) {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    this.lastOperation = operation;
    return { abortSignal: this.abortSignal };
  }
}

function pathOf(address: UserAddress) {
  return { AwsAccountId: address.accountId, Namespace: address.namespace, UserName: address.userName };
}
