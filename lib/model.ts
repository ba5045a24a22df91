// The QuickSight user model and its rules: the one place both the construct (at synth time)
// and the Lambda handler (at deploy time) take them from. It must not import aws-cdk-lib:
// it is bundled into the handler.

/** How QuickSight manages the identity of a user. */
export enum IdentityType {
  /** An IAM user or an IAM role (with a session name) registered in QuickSight. */
  IAM = 'IAM',
  /** A user whose identity QuickSight itself manages (email invitation). */
  QUICKSIGHT = 'QUICKSIGHT',
  /** A user managed by IAM Identity Center. */
  IAM_IDENTITY_CENTER = 'IAM_IDENTITY_CENTER',
}

/** The QuickSight role of a user. */
export enum UserRole {
  /** Read-only access to dashboards. */
  READER = 'READER',
  /** Creates data sources, datasets, analyses and dashboards. */
  AUTHOR = 'AUTHOR',
  /** An author who also manages QuickSight settings. */
  ADMIN = 'ADMIN',
  /** Reader with Generative BI capabilities (Amazon Q). */
  READER_PRO = 'READER_PRO',
  /** Author with Generative BI capabilities (Amazon Q). */
  AUTHOR_PRO = 'AUTHOR_PRO',
  /** Admin with Generative BI capabilities (Amazon Q). */
  ADMIN_PRO = 'ADMIN_PRO',
  /** Not currently available for use (QuickSight refuses it); listed because the API model lists it. */
  RESTRICTED_READER = 'RESTRICTED_READER',
  /** Not currently available for use (QuickSight refuses it); listed because the API model lists it. */
  RESTRICTED_AUTHOR = 'RESTRICTED_AUTHOR',
}

/** The external login provider a user federates from. */
export enum ExternalLoginFederationProviderType {
  /** Amazon Cognito (provider URL cognito-identity.amazonaws.com). */
  COGNITO = 'COGNITO',
  /** A custom OpenID Connect provider, whose URL goes in `customFederationProviderUrl`. */
  CUSTOM_OIDC = 'CUSTOM_OIDC',
}

/** A tag as the API carries it. */
export interface UserTag {
  readonly Key: string;
  readonly Value: string;
}

/**
 * The declared state of one user, in the API's own names: what the construct writes into the
 * custom resource's properties and what the handler reads back from them.
 */
export interface UserSpec {
  readonly AwsAccountId: string;
  readonly Namespace: string;
  readonly IdentityRegion: string;
  readonly Email: string;
  readonly IdentityType: string;
  readonly UserRole: string;
  readonly IamArn?: string;
  readonly SessionName?: string;
  readonly UserName?: string;
  readonly CustomPermissionsName?: string;
  readonly ExternalLoginFederationProviderType?: string;
  readonly CustomFederationProviderUrl?: string;
  readonly ExternalLoginId?: string;
  readonly Tags?: UserTag[];
}

export type UserSpecField = keyof UserSpec;

/**
 * The fields that name the user: a change to any of them is a new user (QuickSight cannot change
 * them in place, so the handler registers a new user and the old one is deleted).
 */
export const IDENTITY_FIELDS = ['IdentityType', 'IamArn', 'SessionName', 'UserName', 'Namespace', 'AwsAccountId', 'IdentityRegion'] as const satisfies readonly UserSpecField[];

/** The construct's prop name (and the users file's field name) for each field of the API. */
export const PROP_NAMES = {
  AwsAccountId: 'awsAccountId',
  Namespace: 'namespace',
  IdentityRegion: 'identityRegion',
  Email: 'email',
  IdentityType: 'identityType',
  UserRole: 'role',
  IamArn: 'iamArn',
  SessionName: 'sessionName',
  UserName: 'userName',
  CustomPermissionsName: 'customPermissionsName',
  ExternalLoginFederationProviderType: 'externalLoginFederationProviderType',
  CustomFederationProviderUrl: 'customFederationProviderUrl',
  ExternalLoginId: 'externalLoginId',
  Tags: 'tags',
} as const satisfies Record<UserSpecField, string>;

/** One broken rule: the field (API name), the value given, and the rule in words. */
export interface ValidationIssue {
  readonly field: UserSpecField;
  readonly value: unknown;
  readonly rule: string;
}

export const DEFAULT_NAMESPACE = 'default';

/**
 * QuickSight keeps at most 50 tags on a user; the handler uses two of them to record which stack
 * resources manage the user (see OWNER_TAG_KEY and PREVIOUS_OWNER_TAG_KEY), which leaves 48 for the
 * declared tags.
 */
export const MAX_DECLARED_TAGS = 48;

/** The prefix of the tags the handler keeps on a user: declared tags may not use it. */
export const MARKER_TAG_PREFIX = 'quicksight-user-cdk:';

/**
 * The tag by which the handler marks the stack resource that manages a user. A Delete only
 * deregisters a user whose marker names the resource being deleted (or that has no marker), so a
 * user that another resource or stack has since taken over is never deleted from under it.
 */
export const OWNER_TAG_KEY = `${MARKER_TAG_PREFIX}owner`;

/**
 * While a user passes from one stack resource to another (a user moved to another stack, two
 * resources swapping names), the marker of the resource it came from, until that resource lets go
 * of it: the user is never deregistered while another resource may still declare it.
 */
export const PREVIOUS_OWNER_TAG_KEY = `${MARKER_TAG_PREFIX}previous-owner`;

/** Whether a tag key is one the handler keeps on a user (not a declared tag). */
export function isMarkerTagKey(key: string): boolean {
  return key.startsWith(MARKER_TAG_PREFIX);
}

const ACCOUNT_PATTERN = /^[0-9]{12}$/;
const NAMESPACE_PATTERN = /^[a-zA-Z0-9._-]*$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;
const USER_NAME_PATTERN = /^[\u0020-\u00FF]+$/;
const SESSION_NAME_PATTERN = /^[\w+=.@-]*$/;
const CUSTOM_PERMISSIONS_PATTERN = /^[a-zA-Z0-9+=,.@_-]+$/;
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+$/;
// IAM user and role names are 1 to 64 characters; "." and ".." would be path segments that URLs resolve away.
const IAM_ARN_PATTERN = /^arn:aws[a-z-]*:iam::[0-9]{12}:(user|role)\/(?:[\w+=,.@-]+\/)*((?!\.\.?$)[\w+=,.@-]{1,64})$/;
/**
 * The user name is part of the custom resource's physical id (CloudFormation: at most 1 KB) and,
 * twice more, of its answer (at most 4096 bytes in all, where a character of U+0080 to U+00FF
 * takes 2 bytes): 256 characters keep every answer well within both.
 */
const MAX_USER_NAME_LENGTH = 256;
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F]/;

const UNAVAILABLE_ROLES: string[] = [UserRole.RESTRICTED_READER, UserRole.RESTRICTED_AUTHOR];

export interface ValidateOptions {
  /** Values for which this returns true are not known yet (CDK tokens): their rules are skipped. */
  readonly isUnresolved?: (value: unknown) => boolean;
}

/**
 * Checks a declared user against the API model's constraints and the cross-field rules the service
 * enforces. Returns every broken rule; an empty list means the spec is valid.
 */
export function validateUserSpec(spec: Partial<Record<UserSpecField, unknown>>, options: ValidateOptions = {}): ValidationIssue[] {
  const unresolved = options.isUnresolved ?? (() => false);
  const issues: ValidationIssue[] = [];
  const known = (field: UserSpecField): boolean => spec[field] !== undefined && !unresolved(spec[field]);
  const fail = (field: UserSpecField, rule: string): void => {
    issues.push({ field, value: spec[field], rule });
  };

  const text = (field: UserSpecField, required: boolean, check?: (v: string) => string | undefined) => {
    const value = spec[field];
    if (value === undefined || value === '') {
      if (required) fail(field, 'is required');
      else if (value === '') fail(field, 'must not be empty (leave it out instead)');
      return;
    }
    if (unresolved(value)) return;
    const problem = typeof value === 'string' ? check?.(value) : `must be a string, not ${typeof value}`;
    if (problem) fail(field, problem);
  };
  const oneOf = (values: string[]) => (v: string) => (values.includes(v) ? undefined : `must be one of ${values.join(', ')}`);

  text('AwsAccountId', true, (v) => (ACCOUNT_PATTERN.test(v) ? undefined : 'must be a 12-digit AWS account id (pattern ^[0-9]{12}$)'));
  text('Namespace', true, (v) => {
    if (v.length > 64) return `must be at most 64 characters (it has ${v.length})`;
    if (!NAMESPACE_PATTERN.test(v)) return 'may only contain letters, digits, ".", "_" and "-" (pattern ^[a-zA-Z0-9._-]*$)';
    // A dot segment in the request path (/namespaces/../users) is resolved away by URL handling.
    if (v === '.' || v === '..') return 'must not be "." or ".."';
    return undefined;
  });
  text('IdentityRegion', true, (v) => (REGION_PATTERN.test(v) ? undefined : 'must be an AWS region name such as us-east-1'));
  text('Email', true, (v) => (EMAIL_PATTERN.test(v) ? undefined : 'must be an email address (name@domain)'));
  text('IdentityType', true, oneOf(Object.values(IdentityType)));
  text('UserRole', true, (v) => {
    if (UNAVAILABLE_ROLES.includes(v)) return 'is not currently available for use in QuickSight: choose READER, AUTHOR, ADMIN or a _PRO role';
    return oneOf(Object.values(UserRole).filter((r) => !UNAVAILABLE_ROLES.includes(r)))(v);
  });
  text('UserName', false, (v) => {
    if (v.length > MAX_USER_NAME_LENGTH) return `must be at most ${MAX_USER_NAME_LENGTH} characters (it has ${v.length}): the name goes into the resource's physical id and answer, which CloudFormation caps`;
    if (!USER_NAME_PATTERN.test(v)) return 'may only contain characters U+0020 to U+00FF (pattern [\\u0020-\\u00FF]+), no control characters';
    if (v.includes('/')) return 'must not contain "/" (QuickSight reserves it for IAM role session users, RoleName/SessionName)';
    if (v === '.' || v === '..') return 'must not be "." or ".."';
    return undefined;
  });
  text('SessionName', false, (v) => {
    if (v.length < 2 || v.length > 64) return `must be 2 to 64 characters (it has ${v.length})`;
    if (!SESSION_NAME_PATTERN.test(v)) return 'may only contain letters, digits and + = . @ _ - (pattern [\\w+=.@-]*)';
    return undefined;
  });
  text('IamArn', false, (v) => (IAM_ARN_PATTERN.test(v) ? undefined : 'must be the ARN of an IAM user or role (arn:aws:iam::123456789012:user/name or :role/name, the name 1 to 64 characters)'));
  text('CustomPermissionsName', false, (v) => {
    if (v.length > 64) return `must be at most 64 characters (it has ${v.length})`;
    if (!CUSTOM_PERMISSIONS_PATTERN.test(v)) return 'may only contain letters, digits and + = , . @ _ - (pattern ^[a-zA-Z0-9+=,.@_-]+$)';
    return undefined;
  });
  text('ExternalLoginFederationProviderType', false, oneOf(Object.values(ExternalLoginFederationProviderType)));
  text('CustomFederationProviderUrl', false, (v) => (CONTROL_CHARACTERS.test(v) ? 'must not contain control characters' : undefined));
  text('ExternalLoginId', false, (v) => (CONTROL_CHARACTERS.test(v) ? 'must not contain control characters' : undefined));
  issues.push(...validateTags(spec.Tags, options));

  // Cross-field rules the service enforces. Each is checked only when the values it reads are known.
  const identityType = known('IdentityType') ? spec.IdentityType : undefined;
  if (identityType === IdentityType.IAM) {
    if (spec.IamArn === undefined) fail('IamArn', 'is required when IdentityType is IAM (the IAM user or role to register)');
    if (spec.UserName !== undefined) fail('UserName', 'is not accepted when IdentityType is IAM: QuickSight takes the name from the IAM user or role (RoleName/SessionName)');
  } else if (identityType === IdentityType.QUICKSIGHT || identityType === IdentityType.IAM_IDENTITY_CENTER) {
    if (spec.UserName === undefined) fail('UserName', `is required when IdentityType is ${identityType}`);
    if (spec.IamArn !== undefined) fail('IamArn', `is only accepted when IdentityType is IAM, not ${identityType}`);
  }
  if (spec.SessionName !== undefined && (spec.IamArn === undefined || (known('IamArn') && iamArnKind(String(spec.IamArn)) === 'user'))) {
    fail('SessionName', 'is only accepted with the ARN of an IAM role (IamArn ...:role/...), as the session of that role');
  }
  const providerType = known('ExternalLoginFederationProviderType') ? spec.ExternalLoginFederationProviderType : undefined;
  if (spec.CustomFederationProviderUrl !== undefined && spec.ExternalLoginFederationProviderType === undefined) {
    fail('CustomFederationProviderUrl', 'is only accepted when ExternalLoginFederationProviderType is CUSTOM_OIDC');
  } else if (spec.CustomFederationProviderUrl !== undefined && providerType !== undefined && providerType !== ExternalLoginFederationProviderType.CUSTOM_OIDC) {
    fail('CustomFederationProviderUrl', `is only accepted when ExternalLoginFederationProviderType is CUSTOM_OIDC, not ${providerType}`);
  }
  if (providerType === ExternalLoginFederationProviderType.CUSTOM_OIDC && spec.CustomFederationProviderUrl === undefined) {
    fail('CustomFederationProviderUrl', 'is required when ExternalLoginFederationProviderType is CUSTOM_OIDC (the URL of the OIDC provider)');
  }
  if (spec.ExternalLoginId !== undefined && spec.ExternalLoginFederationProviderType === undefined) {
    fail('ExternalLoginId', 'is only accepted together with ExternalLoginFederationProviderType');
  }
  return issues;
}

/** Checks the declared tags alone (the construct checks them again once Tags.of() has run). */
export function validateTags(tags: unknown, options: ValidateOptions = {}): ValidationIssue[] {
  const unresolved = options.isUnresolved ?? (() => false);
  const issues: ValidationIssue[] = [];
  const fail = (rule: string): void => {
    issues.push({ field: 'Tags', value: tags, rule });
  };
  checkTags(tags, unresolved, fail);
  return issues;
}

function checkTags(tags: unknown, unresolved: (v: unknown) => boolean, fail: (rule: string) => void): void {
  if (tags === undefined || unresolved(tags)) return;
  if (!Array.isArray(tags)) return fail('must be a list of {Key, Value}');
  if (tags.length > MAX_DECLARED_TAGS) {
    return fail(`must have at most ${MAX_DECLARED_TAGS} tags (it has ${tags.length}): QuickSight keeps at most 50 tags on a user and two mark the managing stack resources`);
  }
  const seen = new Set<string>();
  for (const tag of tags) {
    if (unresolved(tag)) continue;
    const key = (tag as UserTag | undefined)?.Key;
    const value = (tag as UserTag | undefined)?.Value;
    if (typeof key !== 'string' || typeof value !== 'string') {
      fail(`each tag must have a string Key and Value (got ${JSON.stringify(tag)})`);
      continue;
    }
    if (unresolved(key)) continue;
    if (key.length < 1 || key.length > 128) fail(`key '${key}' must be 1 to 128 characters (it has ${key.length})`);
    if (key.toLowerCase().startsWith('aws:')) fail(`key '${key}' must not start with "aws:" (reserved by AWS)`);
    if (isMarkerTagKey(key)) fail(`key '${key}' is reserved: keys starting with "${MARKER_TAG_PREFIX}" mark the managing stack resources`);
    if (seen.has(key)) fail(`key '${key}' appears more than once`);
    seen.add(key);
    if (!unresolved(value) && (value.length < 1 || value.length > 256)) fail(`value of '${key}' must be 1 to 256 characters (it has ${value.length})`);
  }
}

/** Whether an IAM ARN names a user or a role (undefined when it is not an IAM user or role ARN). */
export function iamArnKind(iamArn: string): 'user' | 'role' | undefined {
  const match = IAM_ARN_PATTERN.exec(iamArn);
  return match ? (match[1] as 'user' | 'role') : undefined;
}

/**
 * The QuickSight user name a spec registers: UserName for QUICKSIGHT and IAM Identity Center
 * users; for IAM, the IAM user's name, or RoleName/SessionName for a role session (the role name
 * alone without a session). Undefined when the inputs are missing or invalid.
 */
export function deriveUserName(spec: Pick<UserSpec, 'IdentityType' | 'UserName' | 'IamArn' | 'SessionName'>): string | undefined {
  if (spec.IdentityType !== IdentityType.IAM) return spec.UserName;
  const match = IAM_ARN_PATTERN.exec(spec.IamArn ?? '');
  if (!match) return undefined;
  const [, kind, name] = match;
  return kind === 'role' && spec.SessionName ? `${name}/${spec.SessionName}` : name;
}

/**
 * The way a QuickSight account authenticates the users of an identity type. An account uses one
 * (its authentication method, chosen at subscription): IAM and QuickSight users, or IAM Identity
 * Center users, never both; RegisterUser calls IdentityType "the identity type that your Amazon
 * QuickSight account uses to manage the identity of users".
 */
export function authenticationMethodOf(identityType: string): 'IAM and QuickSight users' | 'IAM Identity Center users' | undefined {
  if (identityType === IdentityType.IAM_IDENTITY_CENTER) return 'IAM Identity Center users';
  if (identityType === IdentityType.IAM || identityType === IdentityType.QUICKSIGHT) return 'IAM and QuickSight users';
  return undefined;
}

/** Where a user lives: the fields that, together, name one QuickSight user (its ARN). */
export interface UserAddress {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly namespace: string;
  readonly userName: string;
}

const USER_ARN_PATTERN = /^arn:(aws[a-z-]*):quicksight:([a-z0-9-]+):([0-9]{12}):user\/([a-zA-Z0-9._-]+)\/(.+)$/;

export function parseUserArn(arn: string): UserAddress | undefined {
  const match = USER_ARN_PATTERN.exec(arn);
  if (!match) return undefined;
  const [, partition, region, accountId, namespace, userName] = match;
  // Never a user the model allows (a name has at most one "/", RoleName/SessionName): extra or
  // dot segments would take a request outside the user's path.
  const segments = userName.split('/');
  if (segments.length > 2 || [namespace, ...segments].some((s) => s === '.' || s === '..')) return undefined;
  return { partition, region, accountId, namespace, userName };
}

export function formatUserArn(address: UserAddress): string {
  return `arn:${address.partition}:quicksight:${address.region}:${address.accountId}:user/${address.namespace}/${address.userName}`;
}

/** The partition of a region: aws, aws-cn, aws-us-gov, or an isolated partition. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  return 'aws';
}

/** The address of the user a spec declares, or undefined when its identity fields are not valid. */
export function addressOf(spec: UserSpec): UserAddress | undefined {
  const userName = deriveUserName(spec);
  if (userName === undefined) return undefined;
  return {
    partition: partitionOf(spec.IdentityRegion),
    region: spec.IdentityRegion,
    accountId: spec.AwsAccountId,
    namespace: spec.Namespace,
    userName,
  };
}

// Not after a "/": RoleName/SessionName is a user name's form, not a reference to the field.
const API_FIELD_NAMES = new RegExp(`(?<!/)\\b(${Object.keys(PROP_NAMES).join('|')})\\b`, 'g');

/** Renders an issue in the construct's own terms: prop names, not the API's field names. */
export function formatIssueInPropTerms(issue: ValidationIssue): string {
  return formatIssue({ ...issue, rule: issue.rule.replace(API_FIELD_NAMES, (name) => PROP_NAMES[name as UserSpecField]) }, PROP_NAMES[issue.field]);
}

/** Renders an issue as one sentence: the field, the value given, and the rule. */
export function formatIssue(issue: ValidationIssue, fieldName: string = issue.field): string {
  return `${fieldName} ${describeValue(issue.value)} ${issue.rule}`;
}

/** A value as messages show it: quoted, at most 80 characters, on one line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return '(not set)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  // JSON.stringify escapes control characters, so the message stays on one line.
  return JSON.stringify(shown).replace(/^"|"$/g, "'");
}

// ---- the declared user against the live one ----

/** The fields of a live user that a declaration is compared with (DescribeUser's and ListUsers' User). */
export interface LiveUserFields {
  readonly IdentityType?: string;
  readonly Role?: string;
  readonly Email?: string;
  readonly CustomPermissionsName?: string;
  readonly ExternalLoginFederationProviderType?: string;
  readonly ExternalLoginFederationProviderUrl?: string;
  readonly ExternalLoginId?: string;
}

/** One declared field that the live user has otherwise. */
export interface FieldDifference {
  readonly field: UserSpecField;
  readonly declared: string | undefined;
  readonly live: string | undefined;
}

/**
 * The declared fields a live user has otherwise: one comparison for the handler (whether an
 * adoption needs UpdateUser) and for drift (what to report). An external login of type NONE is no
 * external login; the provider URL is compared only for CUSTOM_OIDC (COGNITO's is implied), and the
 * login id only where it is declared (UpdateUser cannot remove one, so an undeclared id is no
 * difference a deployment could settle). The identity type is compared too: the handler never
 * changes it in place.
 */
export function userFieldDifferences(spec: UserSpec, live: LiveUserFields): FieldDifference[] {
  const differences: FieldDifference[] = [];
  const field = (name: UserSpecField, declared: string | undefined, current: string | undefined) => {
    if (declared !== current) differences.push({ field: name, declared, live: current });
  };
  field('IdentityType', spec.IdentityType, live.IdentityType);
  field('UserRole', spec.UserRole, live.Role);
  field('Email', spec.Email, live.Email);
  field('CustomPermissionsName', spec.CustomPermissionsName, live.CustomPermissionsName);
  const liveProvider = live.ExternalLoginFederationProviderType === 'NONE' ? undefined : live.ExternalLoginFederationProviderType;
  field('ExternalLoginFederationProviderType', spec.ExternalLoginFederationProviderType, liveProvider);
  if (spec.ExternalLoginFederationProviderType === ExternalLoginFederationProviderType.CUSTOM_OIDC) {
    field('CustomFederationProviderUrl', spec.CustomFederationProviderUrl, live.ExternalLoginFederationProviderUrl);
  }
  if (spec.ExternalLoginId !== undefined) field('ExternalLoginId', spec.ExternalLoginId, live.ExternalLoginId);
  return differences;
}
