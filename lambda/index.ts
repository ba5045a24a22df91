// The entry point of the custom resource handler, under the CDK Provider framework's onEvent
// contract: it returns { PhysicalResourceId, Data }, or throws an error whose message becomes the
// FAILED reason. The framework guarantees CloudFormation an answer and answers the rollback Delete
// of a failed Create itself. This file only dispatches; the lifecycle is in lifecycle.ts.
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { parseGroupArn } from '../lib/group-model';
import { deriveUserName, parseUserArn } from '../lib/model';
import { deleteIntentOf, SdkStackStatusReader, stackAccountOf, stackRegionOf, type DeleteIntent, type StackStatusReader } from './cloudformation';
import { describeFailure, describeTimeout, HandlerError, type FailureContext } from './errors';
import {
  onGroupCreate, onGroupDelete, onGroupUpdate, onMembershipCreate, onMembershipDelete, onMembershipUpdate, parseMembershipId,
  type GroupOutcome, type GroupStepContext,
} from './groups';
import { onCreate, onDelete, onUpdate, ownerOf, undoRegistrations, type Outcome, type StepContext } from './lifecycle';
import { logEvent } from './log';
import { readDeclaredGroup, readDeclaredMembership, readDeclaredUser, readPreviousGroup, readPreviousGroups, readPreviousUser } from './properties';
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
  return handleUserEvent(event, options);
}

type Log = (fields: { userName?: string; outcome: string; detail?: string; calls?: Record<string, number> }) => void;

function logOf(event: CloudFormationCustomResourceEvent, options: HandlerOptions): Log {
  return (fields) => logEvent({ requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, ...fields }, options.log);
}

/** Reads the declared properties before any call; a broken one is logged and fails the event. */
function readBeforeAnyCall<T>(log: Log, read: () => T): T {
  try {
    return read();
  } catch (error) {
    log({ outcome: 'failed', detail: (error as Error).message });
    throw error;
  }
}

/** One event's work under its deadline, as user, group and membership events share it. */
interface EventRun<T> {
  readonly region: string;
  /** What a FAILED reason says the event was about. */
  readonly failure: Omit<FailureContext, 'operation'>;
  /** The part of the budget kept back for `undo`. */
  readonly reserveMs: number;
  readonly work: (api: QuickSightUsers, signal: AbortSignal) => Promise<T>;
  /** The user name the log line names, from the result when there is one. */
  readonly logName: (result?: T) => string | undefined;
  /** After a failure: undoes what the event did, within the time left; a sentence per problem. */
  readonly undo?: (remainingMs: number) => Promise<string[]>;
}

/**
 * Runs an event's work with a client of its own, cut off `reserveMs` before the budget, and turns a
 * failure into one FAILED reason (the timeout's when the deadline cut it short), after the undo.
 */
async function runUnderDeadline<T>(event: CloudFormationCustomResourceEvent, options: HandlerOptions, log: Log, run: EventRun<T>): Promise<T> {
  const startedAt = performance.now();
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const work = new AbortController();
  const timer = setTimeout(() => work.abort(), budgetMs - run.reserveMs);
  const api = quickSightFactoryOf(options)(run.region, work.signal);
  try {
    const result = await run.work(api, work.signal);
    log({ userName: run.logName(result), outcome: 'succeeded', calls: api.calls });
    return result;
  } catch (error) {
    const operation = api.lastOperation ?? event.RequestType;
    let reason = work.signal.aborted
      ? describeTimeout(budgetMs, api.lastRetriedError, { ...run.failure, operation })
      : describeFailure(error, { ...run.failure, operation });
    const problems = (await run.undo?.(budgetMs - (performance.now() - startedAt))) ?? [];
    if (problems.length > 0) reason = `${reason} In addition, ${problems.join('; ')}.`;
    log({ userName: run.logName(), outcome: 'failed', detail: reason, calls: api.calls });
    throw new HandlerError(reason);
  } finally {
    clearTimeout(timer);
    api.destroy?.();
  }
}

function quickSightFactoryOf(options: HandlerOptions): NonNullable<HandlerOptions['quickSight']> {
  return options.quickSight ?? ((region, signal) => new SdkQuickSightUsers(region, signal));
}

async function handleUserEvent(event: CloudFormationCustomResourceEvent, options: HandlerOptions): Promise<Outcome> {
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const log = logOf(event, options);
  // The declared user (Create, Update) is read before any call; Delete works from the physical id.
  const declared = event.RequestType === 'Delete' ? undefined : readBeforeAnyCall(log, () => {
    const user = readDeclaredUser(event.ResourceProperties);
    checkAccount(user.spec.AwsAccountId, event.StackId, `user '${deriveUserName(user.spec) ?? '?'}'`, 'user');
    return user;
  });
  const address = event.RequestType === 'Create' ? undefined : parseUserArn(event.PhysicalResourceId);
  const region = declared?.spec.IdentityRegion ?? address?.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const userName = declared ? deriveUserName(declared.spec) : address?.userName;
  let ctx: StepContext | undefined;
  return runUnderDeadline(event, options, log, {
    region,
    failure: { userName, accountId: declared?.spec.AwsAccountId ?? address?.accountId, namespace: declared?.spec.Namespace ?? address?.namespace, region },
    reserveMs: Math.min(MAX_UNDO_RESERVE_MS, Math.floor(budgetMs / 4)),
    logName: (result) => result?.Data?.UserName ?? userName,
    work: (api, signal) => {
      ctx = {
        owner: ownerOf(event.StackId, event.LogicalResourceId),
        requestId: event.RequestId,
        log,
        deleteIntent: () => readDeleteIntent(event.StackId, signal, options.cloudFormation, USER_DELETE),
        rollingBack: () => readDeleteIntent(event.StackId, signal, options.cloudFormation, USER_DELETE).then((intent) => intent === 'rollback', () => false),
        registrations: [],
        groups: declared?.groups ?? [],
        previousGroups: event.RequestType === 'Update' ? readPreviousGroups(event.OldResourceProperties) : [],
      };
      return dispatch(event, declared, api, ctx);
    },
    undo: async (remainingMs) => (ctx !== undefined && ctx.registrations.length > 0 ? undoWithin(remainingMs, ctx, region, quickSightFactoryOf(options)) : []),
  });
}

/**
 * A group or a membership of a user the app does not manage (groups.ts): the same deadline, log
 * line and FAILED reasons as a user's event. Nothing to undo: a group carries no marker, and a
 * failed event creates at most its own group or membership, in its last call.
 */
async function handleGroupEvent(event: CloudFormationCustomResourceEvent, options: HandlerOptions): Promise<GroupOutcome> {
  const isGroup = event.ResourceType === GROUP_RESOURCE_TYPE;
  const log = logOf(event, options);
  const declared = event.RequestType === 'Delete' ? undefined : readBeforeAnyCall(log, () => {
    const read = isGroup ? readDeclaredGroup(event.ResourceProperties) : readDeclaredMembership(event.ResourceProperties);
    const spec = 'spec' in read ? read.spec : read;
    checkAccount(spec.AwsAccountId, event.StackId,
      'MemberName' in spec ? `membership of '${spec.MemberName}' in group '${spec.GroupName}'` : `group '${spec.GroupName}'`, 'group');
    return read;
  });
  const group = declared !== undefined && 'spec' in declared ? declared : undefined;
  const membership = declared !== undefined && !('spec' in declared) ? declared : undefined;
  const physicalId = event.RequestType === 'Create' ? undefined : event.PhysicalResourceId;
  const parsedMembership = physicalId !== undefined && !isGroup ? parseMembershipId(physicalId) : undefined;
  const address = physicalId === undefined ? undefined : isGroup ? parseGroupArn(physicalId) : parsedMembership?.group;
  const spec = group?.spec ?? membership;
  const region = spec?.IdentityRegion ?? address?.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const groupName = spec?.GroupName ?? address?.groupName;
  const memberName = membership?.MemberName ?? parsedMembership?.memberName;
  const subject = isGroup ? `group '${groupName ?? '?'}'` : `the membership of '${memberName ?? '?'}' in group '${groupName ?? '?'}'`;
  return runUnderDeadline(event, options, log, {
    region,
    failure: { subject, accountId: spec?.AwsAccountId ?? address?.accountId, namespace: spec?.Namespace ?? address?.namespace, region },
    reserveMs: 0,
    logName: () => memberName,
    work: (api, signal) => {
      const ctx: GroupStepContext = {
        log,
        deleteIntent: () => readDeleteIntent(event.StackId, signal, options.cloudFormation, {
          untouched: `${capitalize(subject)} was left untouched`, action: `delete ${subject}`,
        }),
        otherHolders: (ids) => readOtherHolders(event.StackId, event.LogicalResourceId, ids, signal, options.cloudFormation, subject),
      };
      switch (event.RequestType) {
        case 'Create':
          return isGroup ? onGroupCreate(api, group!.spec, group!.adoptExistingGroup, ctx) : onMembershipCreate(api, membership!, ctx);
        case 'Update':
          return isGroup
            ? onGroupUpdate(api, event.PhysicalResourceId, readPreviousGroup(event.OldResourceProperties), group!.spec, group!.adoptExistingGroup, ctx)
            : onMembershipUpdate(api, event.PhysicalResourceId, membership!, ctx);
        case 'Delete':
          return isGroup ? onGroupDelete(api, event.PhysicalResourceId, ctx) : onMembershipDelete(api, event.PhysicalResourceId, ctx);
        default:
          throw unknownRequestType(event);
      }
    },
  });
}

function unknownRequestType(event: CloudFormationCustomResourceEvent): HandlerError {
  return new HandlerError(`Unknown request type ${JSON.stringify((event as { RequestType?: unknown }).RequestType)}: expected Create, Update or Delete.`);
}

/**
 * The other resources of the stack (not this one, not being deleted) whose physical id is one of
 * `ids` (one listing): a group or membership that another resource of the stack has since taken
 * over (a construct id changed) is left to it. When the resources cannot be listed, the Delete
 * refuses to act.
 */
async function readOtherHolders(
  stackId: string, logicalId: string, ids: readonly string[], signal: AbortSignal, factory: HandlerOptions['cloudFormation'], subject: string,
): Promise<string[]> {
  return withStackReader(stackId, signal, factory, async (reader) => {
    if (reader.stackResources === undefined) return [];
    const resources = await reader.stackResources(stackId);
    return resources
      .filter((r) => r.logicalResourceId !== logicalId && r.physicalResourceId !== undefined && ids.includes(r.physicalResourceId) && !(r.resourceStatus ?? '').startsWith('DELETE_'))
      .map((r) => r.logicalResourceId);
  }, (cause) => `Could not list the resources of stack ${stackId} (cloudformation:ListStackResources failed with ${cause}), so this Delete cannot tell whether another resource of the stack manages ${subject} now; it was left untouched. Retry the operation.`);
}

/** Runs `read` with a CloudFormation client of the stack's region; a failed call becomes `reason(cause)`. */
async function withStackReader<T>(
  stackId: string, signal: AbortSignal, factory: HandlerOptions['cloudFormation'], read: (reader: StackStatusReader) => Promise<T>, reason: (cause: string) => string,
): Promise<T> {
  const region = stackRegionOf(stackId) ?? process.env.AWS_REGION ?? 'us-east-1';
  const reader = (factory ?? ((r, s) => new SdkStackStatusReader(r, s)))(region, signal);
  try {
    return await read(reader);
  } catch (error) {
    const e = error as { name?: string; message?: string };
    throw new HandlerError(reason(`${e.name ?? 'Error'}: ${e.message ?? String(error)}`));
  } finally {
    reader.destroy?.();
  }
}

/**
 * The handler runs with its Lambda role in the stack's account, and QuickSight refuses calls about
 * another account (AccessDeniedException): a user of another account could never be managed, so
 * it is refused before any call (the construct refuses it at synth where both accounts are known).
 */
function checkAccount(declaredAccount: string, stackId: string, subject: string, calls: 'user' | 'group'): void {
  const stackAccount = stackAccountOf(stackId);
  if (stackAccount === undefined || declaredAccount === stackAccount) return;
  throw new HandlerError(`QuickSight ${subject} is declared in account ${declaredAccount} (AwsAccountId), but this stack deploys to account ${stackAccount}: QuickSight only accepts ${calls} calls for the caller's own account. Deploy ${calls === 'user' ? 'this user' : 'it'} from a stack in account ${declaredAccount}.`);
}

/** What a Delete that cannot read its stack's status says it left alone, and would have done. */
interface DeleteSubject {
  readonly untouched: string;
  readonly action: string;
}

const USER_DELETE: DeleteSubject = {
  untouched: 'The user was left untouched: a user deregistered by mistake cannot be brought back',
  action: 'deregister the user',
};

async function readDeleteIntent(stackId: string, signal: AbortSignal, factory: HandlerOptions['cloudFormation'], subject: DeleteSubject): Promise<DeleteIntent> {
  const status = await withStackReader(stackId, signal, factory, (reader) => reader.stackStatus(stackId),
    (cause) => `Could not read the status of stack ${stackId} (cloudformation:DescribeStacks failed with ${cause}), so this Delete cannot tell a rollback from an intended delete. ${subject.untouched}, while this Delete can be retried (continue the rollback, or delete the stack again).`);
  const intent = deleteIntentOf(status);
  if (intent === undefined) {
    throw new HandlerError(`Stack ${stackId} is in status ${status}, which is neither a rollback nor a delete or update cleanup, so this Delete cannot tell whether to ${subject.action}; it was left untouched. Retry the operation.`);
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
      throw unknownRequestType(event);
  }
}
