// The entry point of the custom resource handler, under the CDK Provider framework's onEvent
// contract: it returns { PhysicalResourceId, Data }, or throws an error whose message becomes the
// FAILED reason. The framework guarantees CloudFormation an answer and answers the rollback Delete
// of a failed Create itself. This file only dispatches; the lifecycle is in lifecycle.ts.
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { deriveUserName, parseUserArn } from '../lib/model';
import { deleteIntentOf, SdkStackStatusReader, stackAccountOf, stackRegionOf, type DeleteIntent, type StackStatusReader } from './cloudformation';
import { describeFailure, describeTimeout, HandlerError } from './errors';
import { onCreate, onDelete, onUpdate, ownerOf, undoRegistrations, type Outcome, type StepContext } from './lifecycle';
import { logEvent } from './log';
import { readDeclaredUser, readPreviousUser } from './properties';
import { SdkQuickSightUsers, type QuickSightUsers } from './quicksight';

/** Time kept back from the Lambda timeout to build and send the answer. */
const ANSWER_MARGIN_MS = 5_000;
/** The budget when there is no Lambda context (direct calls in tests and scripts). */
const DEFAULT_BUDGET_MS = 60_000;
/**
 * The part of the budget kept back, after the event's own work, to deregister what a failed event
 * registered (at most 10 s, a quarter of short budgets).
 */
const MAX_UNDO_RESERVE_MS = 10_000;

export interface HandlerOptions {
  /** How long the event may take, in milliseconds. */
  readonly budgetMs?: number;
  /** Builds the QuickSight client for a region; the default is the AWS SDK client. */
  readonly quickSight?: (region: string, abortSignal: AbortSignal) => QuickSightUsers;
  /** Builds the CloudFormation client for the stack's region; the default is the AWS SDK client. */
  readonly cloudFormation?: (region: string, abortSignal: AbortSignal) => StackStatusReader;
  /** Where log lines go; the default is stdout (CloudWatch Logs). */
  readonly log?: (line: string) => void;
}

export async function handler(event: CloudFormationCustomResourceEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<Outcome> {
  const remaining = context?.getRemainingTimeInMillis?.();
  return handle(event, { budgetMs: remaining !== undefined ? Math.max(1_000, remaining - ANSWER_MARGIN_MS) : DEFAULT_BUDGET_MS });
}

export async function handle(event: CloudFormationCustomResourceEvent, options: HandlerOptions = {}): Promise<Outcome> {
  const startedAt = performance.now();
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const undoReserveMs = Math.min(MAX_UNDO_RESERVE_MS, Math.floor(budgetMs / 4));
  const workBudgetMs = budgetMs - undoReserveMs;
  const log = (fields: Parameters<StepContext['log']>[0]) => logEvent({
    requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, ...fields,
  }, options.log);
  const physicalId = event.RequestType === 'Create' ? undefined : event.PhysicalResourceId;

  // The declared user (Create, Update) is read before any call; Delete works from the physical id.
  let declared: ReturnType<typeof readDeclaredUser> | undefined;
  try {
    if (event.RequestType !== 'Delete') {
      declared = readDeclaredUser(event.ResourceProperties);
      checkAccount(declared.spec.AwsAccountId, event.StackId, deriveUserName(declared.spec));
    }
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

  const work = new AbortController();
  const timer = setTimeout(() => work.abort(), workBudgetMs);
  const newQuickSight = options.quickSight ?? ((r, signal) => new SdkQuickSightUsers(r, signal));
  const api = newQuickSight(region, work.signal);
  const ctx: StepContext = {
    owner: ownerOf(event.StackId, event.LogicalResourceId),
    requestId: event.RequestId,
    log,
    deleteIntent: () => readDeleteIntent(event.StackId, work.signal, options.cloudFormation),
    rollingBack: () => readDeleteIntent(event.StackId, work.signal, options.cloudFormation).then((intent) => intent === 'rollback', () => false),
    registrations: [],
  };
  try {
    const result = await dispatch(event, declared, api, ctx);
    log({ userName: result.Data?.UserName ?? failureContext.userName, outcome: 'succeeded', calls: api.calls });
    return result;
  } catch (error) {
    const operation = api.lastOperation ?? event.RequestType;
    let reason = work.signal.aborted
      ? describeTimeout(budgetMs, api.lastRetriedError, { ...failureContext, operation })
      : describeFailure(error, { ...failureContext, operation });
    if (ctx.registrations.length > 0) {
      const problems = await undoWithin(budgetMs - (performance.now() - startedAt), ctx, region, newQuickSight);
      if (problems.length > 0) reason = `${reason} In addition, ${problems.join('; ')}.`;
    }
    log({ userName: failureContext.userName, outcome: 'failed', detail: reason, calls: api.calls });
    throw new HandlerError(reason);
  } finally {
    clearTimeout(timer);
    api.destroy?.();
  }
}

/**
 * The handler runs with its Lambda role in the stack's account, and QuickSight refuses calls about
 * another account (AccessDeniedException): a user of another account could never be managed, so
 * it is refused before any call (the construct refuses it at synth where both accounts are known).
 */
function checkAccount(declaredAccount: string, stackId: string, userName: string | undefined): void {
  const stackAccount = stackAccountOf(stackId);
  if (stackAccount === undefined || declaredAccount === stackAccount) return;
  throw new HandlerError(`QuickSight user '${userName ?? '?'}' is declared in account ${declaredAccount} (AwsAccountId), but this stack deploys to account ${stackAccount}: QuickSight only accepts user calls for the caller's own account. Deploy this user from a stack in account ${declaredAccount}.`);
}

async function readDeleteIntent(stackId: string, signal: AbortSignal, factory: HandlerOptions['cloudFormation']): Promise<DeleteIntent> {
  const region = stackRegionOf(stackId) ?? process.env.AWS_REGION ?? 'us-east-1';
  const reader = (factory ?? ((r, s) => new SdkStackStatusReader(r, s)))(region, signal);
  let status: string;
  try {
    status = await reader.stackStatus(stackId);
  } catch (error) {
    const e = error as { name?: string; message?: string };
    throw new HandlerError(`Could not read the status of stack ${stackId} (cloudformation:DescribeStacks failed with ${e.name ?? 'Error'}: ${e.message ?? String(error)}), so this Delete cannot tell a rollback from an intended delete. The user was left untouched: a user deregistered by mistake cannot be brought back, while this Delete can be retried (continue the rollback, or delete the stack again).`);
  } finally {
    reader.destroy?.();
  }
  const intent = deleteIntentOf(status);
  if (intent === undefined) {
    throw new HandlerError(`Stack ${stackId} is in status ${status}, which is neither a rollback nor a delete or update cleanup, so this Delete cannot tell whether to deregister the user; it was left untouched. Retry the operation.`);
  }
  return intent;
}

/** Runs undoRegistrations with a client of its own (the event's client may have been cut off by the deadline). */
async function undoWithin(budgetMs: number, ctx: StepContext, region: string, newQuickSight: NonNullable<HandlerOptions['quickSight']>): Promise<string[]> {
  const undo = new AbortController();
  const timer = setTimeout(() => undo.abort(), Math.max(500, budgetMs));
  const api = newQuickSight(region, undo.signal);
  try {
    return await undoRegistrations(api, ctx);
  } finally {
    clearTimeout(timer);
    api.destroy?.();
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
