// The one CloudFormation call the handler makes: the status of its own stack, read on a Delete to
// tell a rollback (undo what the failed deployment did) from an intended delete (a successful
// deployment stopped declaring the user, or the stack is being deleted). The SDK client honours
// AWS_ENDPOINT_URL_CLOUDFORMATION (tests point it at the CloudFormation simulator).
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { clientOptions, HandlerRetryStrategy } from './retry';

export interface StackStatusReader {
  /** The stack's current status (DescribeStacks with StackName = the stack id). */
  stackStatus(stackId: string): Promise<string>;
  /** The stack's resources (ListStackResources, every page): read before a group is deleted. */
  stackResources?(stackId: string): Promise<StackResourceSummary[]>;
  destroy?(): void;
}

/** One resource of the stack, as ListStackResources gives it. */
export interface StackResourceSummary {
  readonly logicalResourceId: string;
  readonly physicalResourceId?: string;
  readonly resourceType?: string;
  readonly resourceStatus?: string;
}

/** What a Delete is part of, by the stack's status. */
export type DeleteIntent = 'rollback' | 'intended';

const ROLLBACK_STATUSES = new Set([
  'ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'IMPORT_ROLLBACK_IN_PROGRESS',
]);
const INTENDED_STATUSES = new Set(['DELETE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS']);

/** Whether a stack status is a rollback or an intended delete; undefined for any other status (never guessed). */
export function deleteIntentOf(status: string): DeleteIntent | undefined {
  if (ROLLBACK_STATUSES.has(status)) return 'rollback';
  if (INTENDED_STATUSES.has(status)) return 'intended';
  return undefined;
}

/** The region of a stack id (arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>). */
export function stackRegionOf(stackId: string): string | undefined {
  return /^arn:[a-z-]+:cloudformation:([a-z0-9-]+):/.exec(stackId)?.[1];
}

/** The account of a stack id. */
export function stackAccountOf(stackId: string): string | undefined {
  return /^arn:[a-z-]+:cloudformation:[a-z0-9-]+:([0-9]{12}):/.exec(stackId)?.[1];
}

export class SdkStackStatusReader implements StackStatusReader {
  private readonly client: CloudFormationClient;

  constructor(region: string, private readonly abortSignal?: AbortSignal) {
    this.client = new CloudFormationClient(clientOptions(region, new HandlerRetryStrategy()));
  }

  public async stackStatus(stackId: string): Promise<string> {
    const out = await this.client.send(new DescribeStacksCommand({ StackName: stackId }), { abortSignal: this.abortSignal });
    const status = out.Stacks?.[0]?.StackStatus;
    if (!status) throw new Error(`DescribeStacks returned no status for ${stackId}`);
    return status;
  }

  public async stackResources(stackId: string): Promise<StackResourceSummary[]> {
    const resources: StackResourceSummary[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(new ListStackResourcesCommand({ StackName: stackId, NextToken: nextToken }), { abortSignal: this.abortSignal });
      for (const r of out.StackResourceSummaries ?? []) {
        resources.push({ logicalResourceId: r.LogicalResourceId!, physicalResourceId: r.PhysicalResourceId, resourceType: r.ResourceType, resourceStatus: r.ResourceStatus });
      }
      nextToken = out.NextToken;
    } while (nextToken);
    return resources;
  }

  public destroy(): void {
    this.client.destroy();
  }
}
