// Reading a live QuickSight account, for `drift` and `export`: its namespaces, the users of a
// namespace (ListUsers, page by page: each row carries every field DescribeUser would answer, so a
// user is never described), and each user's tags (ListTagsForResource, the one call per user),
// read by a bounded pool of concurrent calls. Groups are read by lists only: the groups of a
// namespace (ListGroups, whose rows carry the description) and the members of each group
// (ListGroupMemberships), never one call per user (ListUserGroups) nor DescribeGroup. The SDK retries what QuickSight throttles or fails
// with a strategy of its own (below): a read of thousands of users against a throttled API keeps
// retrying as long as each call can still succeed, where the SDK's standard strategy would give up
// once its retry quota (about 100 retries more than successes) runs out.
import {
  ListGroupMembershipsCommand, ListGroupsCommand, ListNamespacesCommand, ListTagsForResourceCommand, ListUsersCommand, QuickSightClient,
  type Group, type GroupMember, type User,
} from '@aws-sdk/client-quicksight';

export type { Group, GroupMember, User };

/** How the reads retry: full-jitter exponential backoff, no retry quota. */
export const READ_RETRY_POLICY = {
  /** Attempts per call, the first included (a call throttled this many times in a row fails). */
  maxAttempts: 30,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 30_000,
};

/** How many calls are in flight at once by default (the tags of this many users at a time). */
export const DEFAULT_READ_CONCURRENCY = 8;
export const MAX_READ_CONCURRENCY = 64;

/** The QuickSight reads `drift` and `export` make, behind an interface so that tests can count them. */
export interface QuickSightReader {
  /** The account's namespaces (every page). */
  listNamespaces(awsAccountId: string): Promise<string[]>;
  /** One ListUsers page; throws a ResourceNotFoundException when the namespace does not exist. */
  listUsers(awsAccountId: string, namespace: string, nextToken?: string): Promise<{ users: User[]; nextToken?: string }>;
  /** The tags of a resource (a user's ARN), as a map. */
  listTags(arn: string): Promise<Record<string, string>>;
  /** One ListGroups page (each group with its description); throws a ResourceNotFoundException when the namespace does not exist. */
  listGroups(awsAccountId: string, namespace: string, nextToken?: string): Promise<{ groups: Group[]; nextToken?: string }>;
  /**
   * One ListGroupMemberships page (each member's user name: `N/A` for a user whose IAM identity was
   * deleted); throws a ResourceNotFoundException when the group does not exist.
   */
  listGroupMembers(awsAccountId: string, namespace: string, groupName: string, nextToken?: string): Promise<{ members: GroupMember[]; nextToken?: string }>;
  /** Releases connections. */
  destroy?(): void;
}

/** A retry token as the SDK's retry middleware reads it. */
interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/** What the SDK's retry middleware tells a strategy about a failed attempt. */
interface RetryErrorInfo {
  readonly error?: unknown;
  readonly errorType: 'TRANSIENT' | 'THROTTLING' | 'SERVER_ERROR' | 'CLIENT_ERROR';
}

const token = (count: number, delay: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => delay });

/**
 * The SDK's retry strategy interface (RetryStrategyV2), implemented without a retry quota:
 * throttling, 5xx, timeouts and dropped connections are retried up to READ_RETRY_POLICY.maxAttempts
 * attempts; client errors are not, nor LimitExceededException (a hard QuickSight limit that the
 * SDK classes as throttling).
 */
export class ReadRetryStrategy {
  public readonly mode = 'standard';
  /** Retries made, in all. */
  public retries = 0;

  constructor(private readonly policy = READ_RETRY_POLICY) {}

  public acquireInitialRetryToken(_scope: string): Promise<RetryToken> {
    return Promise.resolve(token(0, 0));
  }

  public refreshRetryTokenForRetry(previous: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const count = previous.getRetryCount() + 1;
    const name = (info.error as { name?: string } | undefined)?.name;
    if (info.errorType === 'CLIENT_ERROR' || name === 'LimitExceededException' || count >= this.policy.maxAttempts) return Promise.reject(info.error);
    this.retries += 1;
    return Promise.resolve(token(count, Math.floor(Math.random() * Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** count))));
  }

  public recordSuccess(_token: RetryToken): void {}
}

/** The options of every AWS client of the tool: the region, the read retries, the socket timeouts. */
export function readClientOptions(region: string | undefined) {
  return {
    region,
    retryStrategy: new ReadRetryStrategy(),
    requestHandler: { connectionTimeout: READ_RETRY_POLICY.connectionTimeoutMs, requestTimeout: READ_RETRY_POLICY.requestTimeoutMs },
  };
}

/**
 * The AWS SDK's QuickSight client in the identity region, with the standard credential chain
 * (environment, SSO, shared files, container and instance roles) and the read retries;
 * AWS_ENDPOINT_URL_QUICKSIGHT points it elsewhere (the tests' emulator).
 */
export class SdkQuickSightReader implements QuickSightReader {
  private readonly client: QuickSightClient;

  constructor(identityRegion: string, private readonly pageSize: number = 100) {
    this.client = new QuickSightClient(readClientOptions(identityRegion));
  }

  public async listNamespaces(awsAccountId: string): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(new ListNamespacesCommand({ AwsAccountId: awsAccountId, NextToken: nextToken, MaxResults: 100 }));
      names.push(...(out.Namespaces ?? []).filter((n) => n.CreationStatus === undefined || n.CreationStatus === 'CREATED').map((n) => n.Name!));
      nextToken = out.NextToken;
    } while (nextToken);
    return names;
  }

  public async listUsers(awsAccountId: string, namespace: string, nextToken?: string) {
    const out = await this.client.send(new ListUsersCommand({ AwsAccountId: awsAccountId, Namespace: namespace, NextToken: nextToken, MaxResults: this.pageSize }));
    return { users: out.UserList ?? [], nextToken: out.NextToken };
  }

  public async listTags(arn: string) {
    const out = await this.client.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key!, t.Value!]));
  }

  public async listGroups(awsAccountId: string, namespace: string, nextToken?: string) {
    const out = await this.client.send(new ListGroupsCommand({ AwsAccountId: awsAccountId, Namespace: namespace, NextToken: nextToken, MaxResults: this.pageSize }));
    return { groups: out.GroupList ?? [], nextToken: out.NextToken };
  }

  public async listGroupMembers(awsAccountId: string, namespace: string, groupName: string, nextToken?: string) {
    const out = await this.client.send(new ListGroupMembershipsCommand({ AwsAccountId: awsAccountId, Namespace: namespace, GroupName: groupName, NextToken: nextToken, MaxResults: this.pageSize }));
    return { members: out.GroupMemberList ?? [], nextToken: out.NextToken };
  }

  public destroy(): void {
    this.client.destroy();
  }
}

/** A reader that counts its calls by operation into `calls`. */
export function countedReader(reader: QuickSightReader, calls: Record<string, number>): QuickSightReader {
  const count = (operation: string) => { calls[operation] = (calls[operation] ?? 0) + 1; };
  return {
    listNamespaces: (...args) => { count('ListNamespaces'); return reader.listNamespaces(...args); },
    listUsers: (...args) => { count('ListUsers'); return reader.listUsers(...args); },
    listTags: (...args) => { count('ListTagsForResource'); return reader.listTags(...args); },
    listGroups: (...args) => { count('ListGroups'); return reader.listGroups(...args); },
    listGroupMembers: (...args) => { count('ListGroupMemberships'); return reader.listGroupMembers(...args); },
    destroy: () => reader.destroy?.(),
  };
}

/** Every user of a namespace, page by page; undefined when the namespace does not exist. */
export async function listAllUsers(reader: QuickSightReader, awsAccountId: string, namespace: string): Promise<User[] | undefined> {
  return allPages((nextToken) => reader.listUsers(awsAccountId, namespace, nextToken).then((page) => ({ items: page.users, nextToken: page.nextToken })));
}

/** Every group of a namespace, page by page; undefined when the namespace does not exist. */
export async function listAllGroups(reader: QuickSightReader, awsAccountId: string, namespace: string): Promise<Group[] | undefined> {
  return allPages((nextToken) => reader.listGroups(awsAccountId, namespace, nextToken).then((page) => ({ items: page.groups, nextToken: page.nextToken })));
}

/** The member names of a group, page by page; undefined when the group does not exist (deleted since it was listed). */
export async function listAllGroupMembers(reader: QuickSightReader, awsAccountId: string, namespace: string, groupName: string): Promise<string[] | undefined> {
  const members = await allPages((nextToken) => reader.listGroupMembers(awsAccountId, namespace, groupName, nextToken).then((page) => ({ items: page.members, nextToken: page.nextToken })));
  return members?.flatMap((m) => (m.MemberName === undefined ? [] : [m.MemberName]));
}

/** The members of each group (`concurrency` groups at a time, each group's pages in turn); `onProgress` after each group. */
export async function readGroupMembers(
  reader: QuickSightReader, groups: ReadonlyArray<{ awsAccountId: string; namespace: string; groupName: string }>,
  options: { concurrency?: number; onProgress?: ReadProgress } = {},
): Promise<Array<string[] | undefined>> {
  let done = 0;
  options.onProgress?.(0, groups.length);
  return mapLimit(groups, options.concurrency ?? DEFAULT_READ_CONCURRENCY, async (group) => {
    const members = await listAllGroupMembers(reader, group.awsAccountId, group.namespace, group.groupName);
    options.onProgress?.(++done, groups.length);
    return members;
  });
}

/** Every item of a paginated list; undefined when the first page is not found (the list's owner does not exist). */
async function allPages<T>(page: (nextToken: string | undefined) => Promise<{ items: T[]; nextToken?: string }>): Promise<T[] | undefined> {
  const items: T[] = [];
  let nextToken: string | undefined;
  let first = true;
  try {
    do {
      const out = await page(nextToken);
      first = false;
      items.push(...out.items);
      nextToken = out.nextToken;
    } while (nextToken);
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException' && first) return undefined;
    throw error;
  }
  return items;
}

/** Progress of a read: `done` of `total` users (or groups) read. */
export type ReadProgress = (done: number, total: number) => void;

/**
 * The tags of each user (by ARN), `concurrency` calls at a time; `onProgress` after each.
 * A user deleted since it was listed has no tags (undefined).
 */
export async function readTags(reader: QuickSightReader, arns: string[], options: { concurrency?: number; onProgress?: ReadProgress } = {}): Promise<Array<Record<string, string> | undefined>> {
  let done = 0;
  options.onProgress?.(0, arns.length);
  return mapLimit(arns, options.concurrency ?? DEFAULT_READ_CONCURRENCY, async (arn) => {
    let tags: Record<string, string> | undefined;
    try {
      tags = await reader.listTags(arn);
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
    }
    options.onProgress?.(++done, arns.length);
    return tags;
  });
}

/** Runs `fn` over `items` with at most `limit` at a time; results in the items' order. Stops at the first error. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await fn(items[index]);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

export function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

/**
 * The identity region QuickSight names when a call went to another region (`Operation is being
 * called from endpoint eu-west-1, but your identity region is us-east-1.`), if the error is that.
 */
export function identityRegionNamedIn(error: unknown): string | undefined {
  if (errorName(error) !== 'AccessDeniedException') return undefined;
  return /identity region is ([a-z]{2}(?:-[a-z]+)+-\d+)/.exec(String((error as Error).message))?.[1];
}

/** A number as people read it: 1,200. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
