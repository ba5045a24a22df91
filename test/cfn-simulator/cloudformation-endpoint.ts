// The CloudFormation API, as far as the handler uses it: DescribeStacks (AWS query protocol: a
// form-encoded POST, an XML answer), over node:http, for the real @aws-sdk/client-cloudformation
// (set AWS_ENDPOINT_URL_CLOUDFORMATION to `endpoint`). It answers with the status of the
// simulated stacks registered with it (the status they have while the handler runs: the phase of
// the operation, ROLLBACK_IN_PROGRESS, UPDATE_COMPLETE_CLEANUP_IN_PROGRESS...), of stacks whose
// status a test set by hand, and with CloudFormation's ValidationError for any other stack.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorXml, xml } from '../emulator/query-xml';

const CLOUDFORMATION_XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

export interface StackStatusSource {
  readonly stackId: string;
  readonly stackName: string;
  /** The status CloudFormation reports now (an *_IN_PROGRESS one while an operation runs). */
  readonly liveStatus: string;
  /** The stack's live resources, for ListStackResources (not the ones being deleted). */
  readonly liveResources?: ReadonlyArray<{ readonly logicalId: string; readonly physicalId: string; readonly type: string }>;
}

/** A resource as ListStackResources lists it. */
export interface ListedResource {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
  readonly status?: string;
}

/**
 * The simulated stacks, newest last: every CloudFormationSimulator registers itself. Stack ids are
 * deterministic, so a later simulator may reuse an earlier one's id: the newest answers.
 */
const simulatedStacks: StackStatusSource[] = [];

export function registerSimulatedStack(source: StackStatusSource): void {
  simulatedStacks.push(source);
}

export interface DescribeStacksCall {
  /** ListStackResources; left out for DescribeStacks (the calls most tests read). */
  readonly action?: string;
  readonly stackName: string;
  readonly status: number;
  readonly answered?: string;
}

export class CloudFormationEndpoint {
  public static async start(): Promise<CloudFormationEndpoint> {
    const endpoint = new CloudFormationEndpoint();
    await new Promise<void>((resolve, reject) => {
      endpoint.server.once('error', reject);
      endpoint.server.listen(0, '127.0.0.1', () => resolve());
    });
    return endpoint;
  }

  private readonly server: Server;
  private readonly fixed = new Map<string, string>();
  private readonly fixedResources = new Map<string, ListedResource[]>();
  private failures: Array<{ code: string; status: number; message: string }> = [];
  private callLog: DescribeStacksCall[] = [];
  private requestCount = 0;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const requestId = `cfn-${++this.requestCount}`;
        const answer = (status: number, body: string) => {
          res.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId });
          res.end(body);
        };
        const stackName = form.get('StackName') ?? '';
        const action = form.get('Action') ?? '';
        if (action !== 'DescribeStacks' && action !== 'ListStackResources') {
          return answer(400, errorXml(CLOUDFORMATION_XMLNS, 'InvalidAction', `Could not find operation ${action} for version 2010-05-15`, requestId));
        }
        const failure = this.failures.shift();
        const tag = action === 'DescribeStacks' ? {} : { action };
        if (failure) {
          this.callLog.push({ ...tag, stackName, status: failure.status });
          return answer(failure.status, errorXml(CLOUDFORMATION_XMLNS, failure.code, failure.message, requestId));
        }
        const found = this.find(stackName);
        if (!found) {
          this.callLog.push({ ...tag, stackName, status: 400 });
          return answer(400, errorXml(CLOUDFORMATION_XMLNS, 'ValidationError', `Stack with id ${stackName} does not exist`, requestId));
        }
        if (action === 'ListStackResources') {
          // One page per 100 resources, as CloudFormation pages them (NextToken is the offset here).
          const all = found.resources;
          const start = Number(form.get('NextToken') ?? '0') || 0;
          const page = all.slice(start, start + 100);
          const next = start + 100 < all.length ? String(start + 100) : undefined;
          this.callLog.push({ ...tag, stackName, status: 200, answered: `${page.length} resources` });
          return answer(200, listStackResourcesXml(page, next, requestId));
        }
        this.callLog.push({ stackName, status: 200, answered: found.status });
        return answer(200, describeStacksXml(found.stackId, found.stackName, found.status, requestId));
      });
    });
  }

  /** http://127.0.0.1:<port> */
  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers `status` for the stack with this id (a stack with no simulator, in handler tests). */
  public setStatus(stackId: string, status: string): void {
    this.fixed.set(stackId, status);
  }

  /** Answers these resources to ListStackResources for the stack with this id (handler tests). */
  public setResources(stackId: string, resources: ListedResource[]): void {
    this.fixedResources.set(stackId, resources);
  }

  /** The next `count` requests fail with this error (ValidationError, Throttling, InternalFailure...). */
  public fail(code: string, options: { count?: number; status?: number; message?: string } = {}): void {
    for (let i = 0; i < (options.count ?? 1); i++) {
      this.failures.push({ code, status: options.status ?? 400, message: options.message ?? `Injected ${code}` });
    }
  }

  public get calls(): DescribeStacksCall[] {
    return [...this.callLog];
  }

  /** Forgets the statuses set by hand, the failures and the call log (the simulated stacks stay). */
  public reset(): void {
    this.fixed.clear();
    this.fixedResources.clear();
    this.failures = [];
    this.callLog = [];
  }

  public async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private find(stackName: string): { stackId: string; stackName: string; status: string; resources: ListedResource[] } | undefined {
    const fixed = this.fixed.get(stackName);
    const fixedResources = this.fixedResources.get(stackName);
    if (fixed !== undefined || fixedResources !== undefined) {
      return { stackId: stackName, stackName: /:stack\/([^/]+)\//.exec(stackName)?.[1] ?? stackName, status: fixed ?? 'UPDATE_COMPLETE', resources: fixedResources ?? [] };
    }
    // StackName takes a stack id (any state) or a name (a live stack only), as in CloudFormation.
    for (const source of [...simulatedStacks].reverse()) {
      if (source.stackId !== '' && (source.stackId === stackName || source.stackName === stackName)) {
        return { stackId: source.stackId, stackName: source.stackName, status: source.liveStatus, resources: [...(source.liveResources ?? [])] };
      }
    }
    return undefined;
  }
}

function describeStacksXml(stackId: string, stackName: string, status: string, requestId: string): string {
  return `<DescribeStacksResponse xmlns="${CLOUDFORMATION_XMLNS}">
  <DescribeStacksResult>
    <Stacks>
      <member>
        <StackId>${xml(stackId)}</StackId>
        <StackName>${xml(stackName)}</StackName>
        <CreationTime>2026-01-01T00:00:00.000Z</CreationTime>
        <StackStatus>${xml(status)}</StackStatus>
      </member>
    </Stacks>
  </DescribeStacksResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</DescribeStacksResponse>
`;
}

function listStackResourcesXml(resources: ListedResource[], nextToken: string | undefined, requestId: string): string {
  const members = resources.map((r) => `      <member>
        <LogicalResourceId>${xml(r.logicalId)}</LogicalResourceId>
        <PhysicalResourceId>${xml(r.physicalId)}</PhysicalResourceId>
        <ResourceType>${xml(r.type)}</ResourceType>
        <LastUpdatedTimestamp>2026-01-01T00:00:00.000Z</LastUpdatedTimestamp>
        <ResourceStatus>${xml(r.status ?? 'CREATE_COMPLETE')}</ResourceStatus>
      </member>`).join('\n');
  return `<ListStackResourcesResponse xmlns="${CLOUDFORMATION_XMLNS}">
  <ListStackResourcesResult>
    <StackResourceSummaries>
${members}
    </StackResourceSummaries>${nextToken !== undefined ? `\n    <NextToken>${xml(nextToken)}</NextToken>` : ''}
  </ListStackResourcesResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</ListStackResourcesResponse>
`;
}
