// What CloudFormation shows when the handler fails: one clear sentence with the QuickSight error's
// name and message and what to do about it. The Provider framework turns a thrown error's message
// into the FAILED reason; CloudFormation caps the whole response at 4096 bytes.

/** In UTF-8 bytes: CloudFormation's 4096-byte cap counts bytes, and the framework adds a stack trace. */
const MAX_REASON_BYTES = 1_500;

/** A failure whose message is already written for the person reading the stack events. */
export class HandlerError extends Error {
  constructor(message: string) {
    super(truncate(message));
    this.name = 'HandlerError';
  }
}

interface ServiceErrorLike {
  readonly name?: string;
  readonly message?: string;
  readonly $metadata?: { httpStatusCode?: number; attempts?: number };
}

export function isServiceError(error: unknown, name: string): boolean {
  return (error as ServiceErrorLike | undefined)?.name === name;
}

const IDENTITY_REGION = /identity region is ([a-z]{2}(?:-[a-z]+)+-\d+)/;

/** The advice that goes with a QuickSight error, by its name. */
function adviceFor(error: ServiceErrorLike, context: FailureContext): string {
  const message = error.message ?? '';
  switch (error.name) {
    case 'AccessDeniedException': {
      const region = IDENTITY_REGION.exec(message)?.[1];
      if (region) {
        const construct = context.subject === undefined ? 'QuickSightUser' : context.subject.startsWith('group') ? 'QuickSightGroup' : 'QuickSightGroup (the membership is in its place)';
        return `QuickSight only accepts ${context.subject === undefined ? 'user' : 'group'} calls in the account's identity region: set identityRegion: '${region}' on this ${construct} (it is '${context.region}' now) and deploy again.`;
      }
      return `Check that account ${context.accountId} has a QuickSight subscription and that the handler's role may call quicksight:${context.operation} in ${context.region}.`;
    }
    case 'InvalidParameterValueException':
      return 'Fix the value in the stack and deploy again.';
    case 'PreconditionNotMetException':
      return 'QuickSight refused the change in the user\'s current state; check the user in the QuickSight console and deploy again.';
    case 'ResourceNotFoundException':
      return `Check that namespace '${context.namespace}' exists in QuickSight account ${context.accountId} (identity region ${context.region}).`;
    case 'LimitExceededException':
      return 'A QuickSight account limit was reached (users or tags): raise the limit or remove users, then deploy again.';
    case 'ThrottlingException':
    case 'InternalFailureException':
    case 'ResourceUnavailableException':
      return 'QuickSight kept failing after every retry; nothing was lost: deploy again (or continue the rollback) later.';
    default:
      return 'Deploy again; if it persists, check the handler\'s log group.';
  }
}

export interface FailureContext {
  readonly operation: string;
  /** What the event is about, when not a user: `group 'analysts'`. */
  readonly subject?: string;
  readonly userName?: string;
  readonly accountId?: string;
  readonly namespace?: string;
  readonly region?: string;
}

/** The FAILED reason for an error thrown while handling an event. */
export function describeFailure(error: unknown, context: FailureContext): string {
  if (error instanceof HandlerError) return error.message;
  const e = (error ?? {}) as ServiceErrorLike;
  const who = whoOf(context);
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode}` + (e.$metadata.attempts ? `, ${e.$metadata.attempts} attempt${e.$metadata.attempts === 1 ? '' : 's'})` : ')') : '';
  const message = (e.message ?? String(error)).replace(/\s+/g, ' ').trim();
  const name = e.name ?? 'Error';
  return truncate(`QuickSight ${context.operation}${who} failed with ${name}${status}: ${message.replace(/\.$/, '')}. ${adviceFor(e, context)}`);
}

/** The FAILED reason when the event's time budget ran out while QuickSight kept failing. */
export function describeTimeout(budgetMs: number, lastError: unknown, context: FailureContext): string {
  const who = whoOf(context);
  const last = lastError ? describeLastError(lastError) : 'no answer';
  return truncate(`QuickSight did not complete ${context.operation}${who} within the handler's time budget of ${Math.round(budgetMs / 1000)} s (last answer: ${last}); nothing was lost: deploy again (or continue the rollback) when QuickSight recovers.`);
}

function whoOf(context: FailureContext): string {
  if (context.subject !== undefined) return ` for ${context.subject}`;
  return context.userName !== undefined ? ` for user '${context.userName}'` : '';
}

function describeLastError(error: unknown): string {
  const e = error as ServiceErrorLike;
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  return `${e.name ?? 'Error'}${status}: ${(e.message ?? String(error)).replace(/\s+/g, ' ').trim()}`;
}

function truncate(text: string): string {
  if (Buffer.byteLength(text, 'utf8') <= MAX_REASON_BYTES) return text;
  // Cut on whole code points: a character outside ASCII takes 2 to 4 bytes.
  let kept = '';
  let bytes = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char, 'utf8');
    if (bytes > MAX_REASON_BYTES - 3) break;
    kept += char;
  }
  return `${kept}...`;
}
