// Request validation, as QuickSight does it: first the model's constraints (required members, enums,
// lengths, patterns), all reported at once in the service front end's format, then the rules of
// the operation itself. Everything here is a pure function of the request.
//
// The model's constraints (SHAPES, TAG_LIST, MAX_RESULTS) are the botocore model's, and
// test/emulator.test.ts checks them against it (test/judges/quicksight-model.ts). A pattern must
// match the whole value: AWS front ends apply model patterns that way, although Smithy patterns
// are not anchored (STS refuses 'Session Names cannot Hava Spaces!' for its unanchored
// [\w+=,.@-]*, which a search could never refuse).
//
// The operation's own rules, beyond the model, and where each comes from:
// - IAM without IamArn: "Invalid resource identifiers provided" (hashicorp/terraform-provider-aws#17406);
//   IAM with UserName, and the other identifiers an identity type does not take: "The following
//   parameters are not applicable to this identity type: User Name" (terraform-provider-aws#20389;
//   QuickSight appends ". AWS account ID: <id>, Namespace: <ns>. " there, which the emulator leaves out);
// - RESTRICTED_AUTHOR / RESTRICTED_READER: "This role isn't currently available for use" (the API reference);
// - at most 50 tags on a resource (LimitExceededException; the tagging documentation);
// - UnapplyCustomPermissions only true, NONE only in UpdateUser, CustomFederationProviderUrl only
//   and always with CUSTOM_OIDC, ExternalLoginId only with a provider type, the Cognito URL filled
//   in (the API reference's descriptions of those members);
// - not in the record, the emulator's reading: an email needs one '@' with text on both sides; an
//   IamArn must be an IAM user or role ARN; a SessionName only goes with a role.
// Where lib/model.ts is stricter (the library refuses more, before any call; the fuzz test's judge
// is the model, not this file): user names at most 256 characters and not '.' or '..' or with '/';
// namespaces not '.' or '..'; IAM names at most 64 characters and paths of [\w+=,.@-]; emails
// without whitespace; at most 49 declared tags, keys not 'aws:'; identity regions shaped like
// regions; a custom federation URL only with CUSTOM_OIDC at synth time.
import { ApiError, invalidParameter } from './errors';

export const IDENTITY_TYPES = ['IAM', 'QUICKSIGHT', 'IAM_IDENTITY_CENTER'] as const;
export const USER_ROLES = [
  'ADMIN', 'AUTHOR', 'READER', 'RESTRICTED_AUTHOR', 'RESTRICTED_READER', 'ADMIN_PRO', 'AUTHOR_PRO', 'READER_PRO',
] as const;
const UNAVAILABLE_ROLES = ['RESTRICTED_AUTHOR', 'RESTRICTED_READER'];
const REGISTER_PROVIDER_TYPES = ['COGNITO', 'CUSTOM_OIDC'];
const UPDATE_PROVIDER_TYPES = ['COGNITO', 'CUSTOM_OIDC', 'NONE'];
export const COGNITO_PROVIDER_URL = 'cognito-identity.amazonaws.com';
export const MAX_TAGS_PER_RESOURCE = 50;

interface StringConstraint {
  readonly min?: number;
  readonly max?: number;
  /** The pattern as the model writes it; the whole value must match. */
  readonly pattern?: string;
  readonly enum?: readonly string[];
}

/** String shapes of the model (botocore quicksight 2018-04-01). */
export const SHAPES = {
  AwsAccountId: { min: 12, max: 12, pattern: '^[0-9]{12}$' },
  Namespace: { max: 64, pattern: '^[a-zA-Z0-9._-]*$' },
  UserName: { min: 1, pattern: '[\\u0020-\\u00FF]+' },
  GroupName: { min: 1, pattern: '[\\u0020-\\u00FF]+' },
  GroupDescription: { min: 1, max: 512 },
  GroupMemberName: { min: 1, max: 256, pattern: '[\\u0020-\\u00FF]+' },
  RoleSessionName: { min: 2, max: 64, pattern: '[\\w+=.@-]*' },
  RoleName: { min: 1, max: 64, pattern: '^[a-zA-Z0-9+=,.@_-]+$' },
  IdentityType: { enum: IDENTITY_TYPES },
  UserRole: { enum: USER_ROLES },
  TagKey: { min: 1, max: 128 },
  TagValue: { min: 1, max: 256 },
  String: {},
} satisfies Record<string, StringConstraint>;

export const TAG_LIST = { min: 1, max: 200 };
export const MAX_RESULTS = { min: 1, max: 100 };

/** Collects constraint violations, worded like the AWS front end ("Value 'x' at 'field' failed to …"). */
export class Violations {
  private readonly messages: string[] = [];

  /** Checks one string member; returns the value when it is present. */
  public string(field: string, value: unknown, shape: StringConstraint, required = false): string | undefined {
    if (value === undefined || value === null) {
      if (required) this.add(`Value null at '${field}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (typeof value !== 'string') throw serializationError(field, value, 'a string');
    const fail = (rule: string) => this.add(`Value '${value}' at '${field}' failed to satisfy constraint: Member must ${rule}`);
    if (shape.enum && !shape.enum.includes(value)) fail(`satisfy enum value set: [${shape.enum.join(', ')}]`);
    if (shape.min !== undefined && value.length < shape.min) fail(`have length greater than or equal to ${shape.min}`);
    if (shape.max !== undefined && value.length > shape.max) fail(`have length less than or equal to ${shape.max}`);
    if (shape.pattern !== undefined && !wholeMatch(shape.pattern).test(value)) fail(`satisfy regular expression pattern: ${shape.pattern}`);
    return value;
  }

  public boolean(field: string, value: unknown): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw serializationError(field, value, 'a boolean');
    return value;
  }

  public tags(field: string, value: unknown, required = false): Array<{ Key: string; Value: string }> | undefined {
    if (value === undefined || value === null) {
      if (required) this.add(`Value null at '${field}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (!Array.isArray(value)) throw serializationError(field, value, 'a list');
    this.listLength(field, value, TAG_LIST);
    return value.map((tag: unknown, i) => {
      if (typeof tag !== 'object' || tag === null || Array.isArray(tag)) throw serializationError(`${field}.${i + 1}.member`, tag, 'a structure');
      const { Key, Value } = tag as Record<string, unknown>;
      return {
        Key: this.string(`${field}.${i + 1}.member.key`, Key, SHAPES.TagKey, true) ?? '',
        Value: this.string(`${field}.${i + 1}.member.value`, Value, SHAPES.TagValue, true) ?? '',
      };
    });
  }

  public tagKeys(field: string, values: string[]): string[] | undefined {
    if (values.length === 0) {
      this.add(`Value null at '${field}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    this.listLength(field, values, TAG_LIST);
    values.forEach((key, i) => this.string(`${field}.${i + 1}.member`, key, SHAPES.TagKey, true));
    return values;
  }

  /** An integer bound to the query string (absent: undefined). */
  public queryInteger(field: string, raw: string | null, range: { min: number; max: number }): number | undefined {
    if (raw === null) return undefined;
    if (!/^-?\d+$/.test(raw)) throw new ApiError('SerializationException', `Value '${raw}' at '${field}' could not be parsed as an integer`);
    const value = Number(raw);
    if (value < range.min) this.add(`Value '${value}' at '${field}' failed to satisfy constraint: Member must have value greater than or equal to ${range.min}`);
    if (value > range.max) this.add(`Value '${value}' at '${field}' failed to satisfy constraint: Member must have value less than or equal to ${range.max}`);
    return value;
  }

  /** Throws InvalidParameterValueException when anything was collected. */
  public throwIfAny(): void {
    const n = this.messages.length;
    if (n > 0) throw invalidParameter(`${n} validation error${n > 1 ? 's' : ''} detected: ${this.messages.join('; ')}`);
  }

  private listLength(field: string, list: unknown[], range: { min: number; max: number }) {
    const fail = (rule: string) => this.add(`Value '${JSON.stringify(list)}' at '${field}' failed to satisfy constraint: Member must ${rule}`);
    if (list.length < range.min) fail(`have length greater than or equal to ${range.min}`);
    if (list.length > range.max) fail(`have length less than or equal to ${range.max}`);
  }

  private add(message: string) {
    this.messages.push(message);
  }
}

const compiled = new Map<string, RegExp>();
function wholeMatch(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`);
    compiled.set(pattern, re);
  }
  return re;
}

function serializationError(field: string, value: unknown, expected: string): ApiError {
  return new ApiError('SerializationException', `Value ${JSON.stringify(value)} at '${field}' is not ${expected}`);
}

/** The body of a request as a JSON object (a missing body is an empty object). */
export function parseBody(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError('SerializationException', 'The request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiError('SerializationException', 'The request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** The path members every user call has. */
export function validateUserPath(v: Violations, params: { AwsAccountId: string; Namespace: string; UserName?: string }) {
  v.string('awsAccountId', params.AwsAccountId, SHAPES.AwsAccountId, true);
  v.string('namespace', params.Namespace, SHAPES.Namespace, true);
  if (params.UserName !== undefined) v.string('userName', params.UserName, SHAPES.UserName, true);
}

/** The path members of the group calls (GroupName and MemberName where the path has them). */
export function validateGroupPath(v: Violations, params: { AwsAccountId: string; Namespace: string; GroupName?: string; MemberName?: string }) {
  v.string('awsAccountId', params.AwsAccountId, SHAPES.AwsAccountId, true);
  v.string('namespace', params.Namespace, SHAPES.Namespace, true);
  if (params.GroupName !== undefined) v.string('groupName', params.GroupName, SHAPES.GroupName, true);
  if (params.MemberName !== undefined) v.string('memberName', params.MemberName, SHAPES.GroupMemberName, true);
}

/** CreateGroup's input: GroupName (required) and Description from the body. */
export function validateCreateGroup(path: { AwsAccountId: string; Namespace: string }, body: Record<string, unknown>): { groupName: string; description?: string } {
  const v = new Violations();
  validateGroupPath(v, path);
  const groupName = v.string('groupName', body.GroupName, SHAPES.GroupName, true);
  const description = v.string('description', body.Description, SHAPES.GroupDescription);
  v.throwIfAny();
  return { groupName: groupName!, description };
}

/** UpdateGroup's input: the path and an optional Description. */
export function validateUpdateGroup(path: { AwsAccountId: string; Namespace: string; GroupName: string }, body: Record<string, unknown>): { description?: string } {
  const v = new Violations();
  validateGroupPath(v, path);
  const description = v.string('description', body.Description, SHAPES.GroupDescription);
  v.throwIfAny();
  return { description };
}

export function validateMaxResults(v: Violations, raw: string | null): number | undefined {
  return v.queryInteger('maxResults', raw, MAX_RESULTS);
}

export interface ExternalLogin {
  readonly type?: string;
  readonly url?: string;
  readonly id?: string;
}

export interface RegisterInput {
  readonly identityType: string;
  readonly userName: string;
  readonly email: string;
  readonly role: string;
  readonly iamArn?: string;
  readonly sessionName?: string;
  readonly customPermissionsName?: string;
  readonly externalLogin: ExternalLogin;
  readonly tags: Array<{ Key: string; Value: string }>;
}

/**
 * RegisterUser's input. `checkIdentityType` is the account's rule for the identity type (it throws
 * the account's refusal); it runs once the model's constraints hold, before the identifiers are read.
 */
export function validateRegisterUser(
  path: { AwsAccountId: string; Namespace: string }, body: Record<string, unknown>, checkIdentityType: (identityType: string) => void = () => undefined,
): RegisterInput {
  const v = new Violations();
  validateUserPath(v, path);
  const identityType = v.string('identityType', body.IdentityType, SHAPES.IdentityType, true);
  const email = v.string('email', body.Email, SHAPES.String, true);
  const role = v.string('userRole', body.UserRole, SHAPES.UserRole, true);
  const iamArn = v.string('iamArn', body.IamArn, SHAPES.String);
  const sessionName = v.string('sessionName', body.SessionName, SHAPES.RoleSessionName);
  const userName = v.string('userName', body.UserName, SHAPES.UserName);
  const customPermissionsName = v.string('customPermissionsName', body.CustomPermissionsName, SHAPES.RoleName);
  const providerType = v.string('externalLoginFederationProviderType', body.ExternalLoginFederationProviderType, SHAPES.String);
  const providerUrl = v.string('customFederationProviderUrl', body.CustomFederationProviderUrl, SHAPES.String);
  const externalLoginId = v.string('externalLoginId', body.ExternalLoginId, SHAPES.String);
  const tags = v.tags('tags', body.Tags);
  v.throwIfAny();

  checkIdentityType(identityType!);
  checkRoleAvailable('UserRole', role!);
  checkEmail(email!);
  const name = userNameOf(identityType!, { userName, iamArn, sessionName });
  const externalLogin = checkExternalLogin(REGISTER_PROVIDER_TYPES, providerType, providerUrl, externalLoginId);
  return {
    identityType: identityType!, userName: name, email: email!, role: role!, iamArn, sessionName,
    customPermissionsName, externalLogin, tags: tags ?? [],
  };
}

export interface UpdateInput {
  readonly email: string;
  readonly role: string;
  /** A name to set, null to clear (UnapplyCustomPermissions), undefined to keep. */
  readonly customPermissionsName: string | null | undefined;
  /** undefined: keep the external login; type NONE: clear it. */
  readonly externalLogin?: ExternalLogin;
}

export function validateUpdateUser(path: { AwsAccountId: string; Namespace: string; UserName: string }, body: Record<string, unknown>): UpdateInput {
  const v = new Violations();
  validateUserPath(v, path);
  const email = v.string('email', body.Email, SHAPES.String, true);
  const role = v.string('role', body.Role, SHAPES.UserRole, true);
  const customPermissionsName = v.string('customPermissionsName', body.CustomPermissionsName, SHAPES.RoleName);
  const unapply = v.boolean('unapplyCustomPermissions', body.UnapplyCustomPermissions);
  const providerType = v.string('externalLoginFederationProviderType', body.ExternalLoginFederationProviderType, SHAPES.String);
  const providerUrl = v.string('customFederationProviderUrl', body.CustomFederationProviderUrl, SHAPES.String);
  const externalLoginId = v.string('externalLoginId', body.ExternalLoginId, SHAPES.String);
  v.throwIfAny();

  checkRoleAvailable('Role', role!);
  checkEmail(email!);
  if (unapply === false) {
    throw invalidParameter("UnapplyCustomPermissions accepts only the value 'true' (omit it to keep the custom permissions); got 'false'");
  }
  if (unapply && customPermissionsName !== undefined) {
    throw invalidParameter(`CustomPermissionsName '${customPermissionsName}' cannot be combined with UnapplyCustomPermissions 'true'`);
  }
  const externalLogin = checkExternalLogin(UPDATE_PROVIDER_TYPES, providerType, providerUrl, externalLoginId);
  return {
    email: email!,
    role: role!,
    customPermissionsName: unapply ? null : customPermissionsName,
    externalLogin: providerType === undefined ? undefined : externalLogin,
  };
}

function checkRoleAvailable(field: string, role: string) {
  if (UNAVAILABLE_ROLES.includes(role)) throw invalidParameter(`${field} '${role}' is not currently available for use`);
}

function checkEmail(email: string) {
  if (!/^[^@]+@[^@]+$/.test(email)) throw invalidParameter(`Email '${email}' is not a valid email address`);
}

function checkExternalLogin(allowed: string[], type: string | undefined, url: string | undefined, id: string | undefined): ExternalLogin {
  if (type !== undefined && !allowed.includes(type)) {
    throw invalidParameter(`ExternalLoginFederationProviderType '${type}' is not valid: use one of ${allowed.join(', ')}`);
  }
  if (url !== undefined && type !== 'CUSTOM_OIDC') {
    throw invalidParameter(`CustomFederationProviderUrl '${url}' is only accepted when ExternalLoginFederationProviderType is CUSTOM_OIDC`);
  }
  if (type === 'CUSTOM_OIDC' && url === undefined) {
    throw invalidParameter('CustomFederationProviderUrl is required when ExternalLoginFederationProviderType is CUSTOM_OIDC');
  }
  if (id !== undefined && (type === undefined || type === 'NONE')) {
    throw invalidParameter(`ExternalLoginId '${id}' is only accepted with ExternalLoginFederationProviderType COGNITO or CUSTOM_OIDC`);
  }
  if (type === undefined || type === 'NONE') return { type };
  return { type, url: type === 'COGNITO' ? COGNITO_PROVIDER_URL : url, id };
}

// arn:<partition>:iam::<account>:user|role/<path/>name. IAM paths are printable ASCII between slashes.
const IAM_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:(user|role)\/(?:[\u0021-\u002E\u0030-\u007E]+\/)*([\w+=,.@-]{1,64})$/;

/** The QuickSight user name a RegisterUser request creates, checking which identifiers it may carry. */
export function userNameOf(identityType: string, ids: { userName?: string; iamArn?: string; sessionName?: string }): string {
  if (identityType === 'IAM') {
    if (ids.userName !== undefined) {
      throw invalidParameter('The following parameters are not applicable to this identity type: User Name');
    }
    if (ids.iamArn === undefined) throw invalidParameter('Invalid resource identifiers provided');
    const match = IAM_ARN.exec(ids.iamArn);
    if (!match) throw invalidParameter(`IamArn '${ids.iamArn}' is not the ARN of an IAM user or role`);
    const [, kind, name] = match;
    if (ids.sessionName !== undefined) {
      if (kind !== 'role') {
        throw invalidParameter(`SessionName '${ids.sessionName}' is only accepted with the ARN of an IAM role, not '${ids.iamArn}'`);
      }
      return `${name}/${ids.sessionName}`;
    }
    return name;
  }
  const notApplicable = [ids.iamArn !== undefined && 'Iam Arn', ids.sessionName !== undefined && 'Session Name'].filter(Boolean);
  if (notApplicable.length > 0) {
    throw invalidParameter(`The following parameters are not applicable to this identity type: ${notApplicable.join(', ')}`);
  }
  if (ids.userName === undefined) throw invalidParameter(`UserName is required for identity type ${identityType}`);
  return ids.userName;
}

/** The parts of a QuickSight user ARN (undefined for any other ARN). */
export function parseUserArn(arn: string): { region: string; accountId: string; namespace: string; userName: string } | undefined {
  const match = /^arn:aws[a-z-]*:quicksight:([a-z0-9-]+):([0-9]{12}):user\/([^/]+)\/(.+)$/.exec(arn);
  if (!match) return undefined;
  const [, region, accountId, namespace, userName] = match;
  return { region, accountId, namespace, userName };
}

/** Whether a string looks like any QuickSight ARN (a resource that might exist). */
export function isQuickSightArn(arn: string): boolean {
  return /^arn:aws[a-z-]*:quicksight:[a-z0-9-]*:[0-9]{12}:[a-z-]+\/.+$/.test(arn);
}
