// The entry point of the custom resource handler, under the CDK Provider framework's onEvent
// contract: it returns { PhysicalResourceId, Data }, or throws an error whose message becomes the
// FAILED reason. The framework guarantees CloudFormation an answer and answers the rollback Delete
// of a failed Create itself. This file only dispatches; the lifecycle is in lifecycle.ts.
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { deriveUserName, parseUserArn } from '../lib/model';
import { describeFailure, describeTimeout, HandlerError } from './errors';
import { onCreate, onDelete, onUpdate, ownerOf, type Outcome, type StepContext } from './lifecycle';
import { logEvent } from './log';
import { readDeclaredUser, readPreviousUser } from './properties';
import { SdkQuickSightUsers, type QuickSightUsers } from './quicksight';

/** Time kept back from the Lambda timeout to build and send the answer. */
const ANSWER_MARGIN_MS = 5_000;
/** The budget when there is no Lambda context (direct calls in tests and scripts). */
const DEFAULT_BUDGET_MS = 60_000;

export interface HandlerOptions {
  /** How long the event may take, in milliseconds. */
  readonly budgetMs?: number;
  /** Builds the QuickSight client for a region; the default is the AWS SDK client. */
  readonly quickSight?: (region: string, abortSignal: AbortSignal) => QuickSightUsers;
  /** Where log lines go; the default is stdout (CloudWatch Logs). */
  readonly log?: (line: string) => void;
}

export async function handler(event: CloudFormationCustomResourceEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<Outcome> {
  const remaining = context?.getRemainingTimeInMillis?.();
  return handle(event, { budgetMs: remaining !== undefined ? Math.max(1_000, remaining - ANSWER_MARGIN_MS) : DEFAULT_BUDGET_MS });
}

export async function handle(event: CloudFormationCustomResourceEvent, options: HandlerOptions = {}): Promise<Outcome> {
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const log = (fields: Parameters<StepContext['log']>[0]) => logEvent({
    requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, ...fields,
  }, options.log);
  const ctx: StepContext = { owner: ownerOf(event.StackId, event.LogicalResourceId), log };
  const physicalId = event.RequestType === 'Create' ? undefined : event.PhysicalResourceId;

  // The declared user (Create, Update) is read before any call; Delete works from the physical id.
  let declared: ReturnType<typeof readDeclaredUser> | undefined;
  try {
    if (event.RequestType !== 'Delete') declared = readDeclaredUser(event.ResourceProperties);
  } catch (error) {
    log({ outcome: 'failed', detail: (error as Error).message });
    throw error;
  }
  const address = physicalId ? parseUserArn(physicalId) : undefined;
  const region = declared?.spec.IdentityRegion ?? address?.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const failureContext = {
    userName: declared ? deriveUserName(declared.spec) : address?.userName,
    accountId: declared?.spec.AwsAccountId ?? address?.accountId,
    namespace: declared?.spec.Namespace ?? address?.namespace,
    region,
  };

  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), budgetMs);
  const api = (options.quickSight ?? ((r, signal) => new SdkQuickSightUsers(r, signal)))(region, abort.signal);
  try {
    const result = await dispatch(event, declared, api, ctx);
    log({ userName: result.Data?.UserName ?? failureContext.userName, outcome: 'succeeded', calls: callsOf(api) });
    return result;
  } catch (error) {
    const operation = lastOperationOf(api) ?? event.RequestType;
    const reason = abort.signal.aborted
      ? describeTimeout(budgetMs, (api as Partial<SdkQuickSightUsers>).lastRetriedError, { ...failureContext, operation })
      : describeFailure(error, { ...failureContext, operation });
    log({ userName: failureContext.userName, outcome: 'failed', detail: reason, calls: callsOf(api) });
    throw new HandlerError(reason);
  } finally {
    clearTimeout(timer);
    (api as Partial<SdkQuickSightUsers>).destroy?.();
  }
}

function dispatch(
  event: CloudFormationCustomResourceEvent, declared: ReturnType<typeof readDeclaredUser> | undefined, api: QuickSightUsers, ctx: StepContext,
): Promise<Outcome> {
  switch (event.RequestType) {
    case 'Create':
      return onCreate(api, declared!.spec, declared!.adoptExistingUser, ctx);
    case 'Update':
      return onUpdate(api, event.PhysicalResourceId, readPreviousUser(event.OldResourceProperties), declared!.spec, declared!.adoptExistingUser, ctx);
    case 'Delete':
      return onDelete(api, event.PhysicalResourceId, ctx);
    default:
      throw new HandlerError(`Unknown request type ${JSON.stringify((event as { RequestType?: unknown }).RequestType)}: expected Create, Update or Delete.`);
  }
}

function callsOf(api: QuickSightUsers): Record<string, number> | undefined {
  return (api as Partial<SdkQuickSightUsers>).calls;
}

function lastOperationOf(api: QuickSightUsers): string | undefined {
  return (api as Partial<SdkQuickSightUsers>).lastOperation;
}
