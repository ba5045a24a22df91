// The entry point of the custom resource handler, under the CDK Provider framework's onEvent
// contract: it returns { PhysicalResourceId, Data }, or throws an error whose message becomes the
// FAILED reason. The framework guarantees CloudFormation an answer and answers the rollback Delete
// of a failed Create itself. This file only dispatches; the lifecycle is in lifecycle.ts.
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { parseGroupArn } from '../lib/group-model';
import { deriveUserName, parseUserArn } from '../lib/model';
import { deleteIntentOf, SdkStackStatusReader, stackAccountOf, stackRegionOf, type DeleteIntent, type StackStatusReader } from './cloudformation';
import { describeFailure, describeTimeout, HandlerError } from './errors';
import {
  onGroupCreate, onGroupDelete, onGroupUpdate, onMembershipCreate, onMembershipDelete, onMembershipUpdate, parseMembershipId,
  type GroupOutcome, type GroupStepContext,
} from './groups';
import { onCreate, onDelete, onUpdate, ownerOf, undoRegistrations, type Outcome, type StepContext } from './lifecycle';
import { logEvent } from './log';
import {
  readDeclaredGroup, readDeclaredMembership, readDeclaredUser, readPreviousGroup, readPreviousGroups, readPreviousUser,
  type DeclaredGroup,
} from './properties';
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

export async function handler(event: CloudFormationCustomResourceEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<Outcome | GroupOutcome> {
  const remaining = context?.getRemainingTimeInMillis?.();
  return handle(event, { budgetMs: remaining !== undefined ? Math.max(1_000, remaining - ANSWER_MARGIN_MS) : DEFAULT_BUDGET_MS });
}

/** The resource types of groups and memberships; any other type is a user (Custom::QuickSightUser). */
export const GROUP_RESOURCE_TYPE = 'Custom::QuickSightGroup';
export const MEMBERSHIP_RESOURCE_TYPE = 'Custom::QuickSightGroupMembership';

export async function handle(event: CloudFormationCustomResourceEvent, options: HandlerOptions = {}): Promise<Outcome | GroupOutcome> {
  if (event.ResourceType === GROUP_RESOURCE_TYPE || event.ResourceType === MEMBERSHIP_RESOURCE_TYPE) return handleGroupEvent(event, options);
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
    groups: declared?.groups ?? [],
    previousGroups: event.RequestType === 'Update' ? readPreviousGroups(event.OldResourceProperties) : [],
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
 * A group or a membership of a user the app does not manage (groups.ts): the same deadline, log
 * line and FAILED reasons as a user's event. Nothing to undo: a group carries no marker, and a
 * failed event creates at most its own group or membership, in its last call.
 */
async function handleGroupEvent(event: CloudFormationCustomResourceEvent, options: HandlerOptions): Promise<GroupOutcome> {
  const isGroup = event.ResourceType === GROUP_RESOURCE_TYPE;
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const log = (fields: { userName?: string; outcome: string; detail?: string; calls?: Record<string, number> }) => logEvent({
    requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, ...fields,
  }, options.log);
  const physicalId = event.RequestType === 'Create' ? undefined : event.PhysicalResourceId;

  let group: DeclaredGroup | undefined;
  let membership: ReturnType<typeof readDeclaredMembership> | undefined;
  try {
    if (event.RequestType !== 'Delete') {
      if (isGroup) group = readDeclaredGroup(event.ResourceProperties);
      else membership = readDeclaredMembership(event.ResourceProperties);
      const declared = group?.spec ?? membership!;
      checkAccount(declared.AwsAccountId, event.StackId, isGroup ? `group '${declared.GroupName}'` : `membership of '${membership!.MemberName}' in group '${declared.GroupName}'`);
    }
  } catch (error) {
    log({ outcome: 'failed', detail: (error as Error).message });
    throw error;
  }
  const address = physicalId === undefined ? undefined : isGroup ? parseGroupArn(physicalId) : parseMembershipId(physicalId)?.group;
  const declared = group?.spec ?? membership;
  const region = declared?.IdentityRegion ?? address?.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const groupName = declared?.GroupName ?? address?.groupName;
  const memberName = membership?.MemberName ?? (physicalId !== undefined && !isGroup ? parseMembershipId(physicalId)?.memberName : undefined);
  const subject = isGroup ? `group '${groupName ?? '?'}'` : `the membership of '${memberName ?? '?'}' in group '${groupName ?? '?'}'`;
  const failureContext = { subject, accountId: declared?.AwsAccountId ?? address?.accountId, namespace: declared?.Namespace ?? address?.namespace, region };

  const work = new AbortController();
  const timer = setTimeout(() => work.abort(), budgetMs);
  const api = (options.quickSight ?? ((r, signal) => new SdkQuickSightUsers(r, signal)))(region, work.signal);
  const ctx: GroupStepContext = {
    log: (fields) => log(fields),
    deleteIntent: () => readDeleteIntent(event.StackId, work.signal, options.cloudFormation, subject),
    otherHolders: (id) => readOtherHolders(event.StackId, event.LogicalResourceId, id, work.signal, options.cloudFormation, subject),
  };
  try {
    let result: GroupOutcome;
    if (isGroup) {
      result = event.RequestType === 'Create' ? await onGroupCreate(api, group!.spec, group!.adoptExistingGroup, ctx)
        : event.RequestType === 'Update' ? await onGroupUpdate(api, event.PhysicalResourceId, readPreviousGroup(event.OldResourceProperties), group!.spec, group!.adoptExistingGroup, ctx)
          : await onGroupDelete(api, event.PhysicalResourceId, ctx);
    } else {
      result = event.RequestType === 'Create' ? await onMembershipCreate(api, membership!, ctx)
        : event.RequestType === 'Update' ? await onMembershipUpdate(api, event.PhysicalResourceId, membership!, ctx)
          : await onMembershipDelete(api, event.PhysicalResourceId, ctx);
    }
    log({ userName: memberName, outcome: 'succeeded', calls: api.calls });
    return result;
  } catch (error) {
    const operation = api.lastOperation ?? event.RequestType;
    const reason = work.signal.aborted
      ? describeTimeout(budgetMs, api.lastRetriedError, { ...failureContext, operation })
      : describeFailure(error, { ...failureContext, operation });
    log({ userName: memberName, outcome: 'failed', detail: reason, calls: api.calls });
    throw new HandlerError(reason);
  } finally {
    clearTimeout(timer);
    api.destroy?.();
  }
}

/**
 * The other resources of the stack (not this one, not being deleted) whose physical id is `id`: a
 * group or membership that another resource of the stack has since taken over (a construct id
 * changed) is left to it. When the resources cannot be listed, the Delete refuses to act.
 */
async function readOtherHolders(
  stackId: string, logicalId: string, id: string, signal: AbortSignal, factory: HandlerOptions['cloudFormation'], subject: string,
): Promise<string[]> {
  const region = stackRegionOf(stackId) ?? process.env.AWS_REGION ?? 'us-east-1';
  const reader = (factory ?? ((r, s) => new SdkStackStatusReader(r, s)))(region, signal);
  try {
    if (reader.stackResources === undefined) return [];
    const resources = await reader.stackResources(stackId);
    return resources
      .filter((r) => r.logicalResourceId !== logicalId && r.physicalResourceId === id && !(r.resourceStatus ?? '').startsWith('DELETE_'))
      .map((r) => r.logicalResourceId);
  } catch (error) {
    const e = error as { name?: string; message?: string };
    throw new HandlerError(`Could not list the resources of stack ${stackId} (cloudformation:ListStackResources failed with ${e.name ?? 'Error'}: ${e.message ?? String(error)}), so this Delete cannot tell whether another resource of the stack manages ${subject} now; it was left untouched. Retry the operation.`);
  } finally {
    reader.destroy?.();
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
  if (userName?.startsWith('group ') || userName?.startsWith('membership ')) {
    throw new HandlerError(`QuickSight ${userName} is declared in account ${declaredAccount} (AwsAccountId), but this stack deploys to account ${stackAccount}: QuickSight only accepts group calls for the caller's own account. Deploy it from a stack in account ${declaredAccount}.`);
  }
  throw new HandlerError(`QuickSight user '${userName ?? '?'}' is declared in account ${declaredAccount} (AwsAccountId), but this stack deploys to account ${stackAccount}: QuickSight only accepts user calls for the caller's own account. Deploy this user from a stack in account ${declaredAccount}.`);
}

async function readDeleteIntent(stackId: string, signal: AbortSignal, factory: HandlerOptions['cloudFormation'], subject = 'the user'): Promise<DeleteIntent> {
  const region = stackRegionOf(stackId) ?? process.env.AWS_REGION ?? 'us-east-1';
  const reader = (factory ?? ((r, s) => new SdkStackStatusReader(r, s)))(region, signal);
  let status: string;
  try {
    status = await reader.stackStatus(stackId);
  } catch (error) {
    const e = error as { name?: string; message?: string };
    throw new HandlerError(`Could not read the status of stack ${stackId} (cloudformation:DescribeStacks failed with ${e.name ?? 'Error'}: ${e.message ?? String(error)}), so this Delete cannot tell a rollback from an intended delete. ${subject === 'the user' ? 'The user was left untouched: a user deregistered by mistake cannot be brought back' : `${capitalize(subject)} was left untouched`}, while this Delete can be retried (continue the rollback, or delete the stack again).`);
  } finally {
    reader.destroy?.();
  }
  const intent = deleteIntentOf(status);
  if (intent === undefined) {
    throw new HandlerError(`Stack ${stackId} is in status ${status}, which is neither a rollback nor a delete or update cleanup, so this Delete cannot tell whether to ${subject === 'the user' ? 'deregister the user' : `delete ${subject}`}; it was left untouched. Retry the operation.`);
  }
  return intent;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
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
