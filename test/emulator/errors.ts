// The errors the emulated QuickSight answers with, and their HTTP status codes (from the service
// model's error shapes; UnknownOperationException and SerializationException are the front end's).

export const ERROR_STATUS = {
  AccessDeniedException: 401,
  InvalidParameterValueException: 400,
  PreconditionNotMetException: 400,
  InvalidNextTokenException: 400,
  SerializationException: 400,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  ResourceExistsException: 409,
  LimitExceededException: 409,
  ThrottlingException: 429,
  InternalFailureException: 500,
  ResourceUnavailableException: 503,
} as const;

export type ErrorType = keyof typeof ERROR_STATUS;

/**
 * The status of an AccessDeniedException that IAM (not QuickSight itself) answers: the model gives
 * AccessDeniedException 401, and QuickSight's own refusals (identity region, operations disabled
 * under IAM Identity Center) come with 401, but an IAM policy refusal reaches the caller as 403
 * (cloudquery/cloudquery#4116: "StatusCode: 403, ... AccessDeniedException: User: ... is not
 * authorized to perform: quicksight:ListFolders on resource: ... because no identity-based policy
 * allows the quicksight:ListFolders action").
 */
export const IAM_DENIAL_STATUS = 403;

/** The model's ExceptionResourceType, sent by the errors whose shape has a ResourceType member. */
export type ResourceType = 'USER' | 'GROUP' | 'NAMESPACE';

export class ApiError extends Error {
  public readonly status: number;

  constructor(public readonly type: ErrorType, message: string, public readonly resourceType?: ResourceType, status?: number) {
    super(message);
    this.status = status ?? ERROR_STATUS[type];
  }
}

/** An error the emulator answers with, as options describe it: a name of ERROR_STATUS, a message, and optionally another status. */
export interface ErrorAnswer {
  readonly type: ErrorType;
  readonly message: string;
  readonly status?: number;
}

export const apiError = (answer: ErrorAnswer) => new ApiError(answer.type, answer.message, undefined, answer.status);

export const invalidParameter = (message: string) => new ApiError('InvalidParameterValueException', message);

export const userNotFound = (userName: string) =>
  new ApiError('ResourceNotFoundException', `User not found: ${userName}`, 'USER');

export const groupNotFound = (groupArn: string) =>
  new ApiError('ResourceNotFoundException', `Group not found: ${groupArn}`, 'GROUP');

export const namespaceNotFound = (namespace: string) =>
  new ApiError('ResourceNotFoundException', `Namespace ${namespace} not found`, 'NAMESPACE');
