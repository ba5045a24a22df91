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

/** The model's ExceptionResourceType, sent by the errors whose shape has a ResourceType member. */
export type ResourceType = 'USER' | 'NAMESPACE';

export class ApiError extends Error {
  public readonly status: number;

  constructor(public readonly type: ErrorType, message: string, public readonly resourceType?: ResourceType) {
    super(message);
    this.status = ERROR_STATUS[type];
  }
}

export const invalidParameter = (message: string) => new ApiError('InvalidParameterValueException', message);

export const userNotFound = (userName: string) =>
  new ApiError('ResourceNotFoundException', `User not found: ${userName}`, 'USER');

export const namespaceNotFound = (namespace: string) =>
  new ApiError('ResourceNotFoundException', `Namespace ${namespace} not found`, 'NAMESPACE');
