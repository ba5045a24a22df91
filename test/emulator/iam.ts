// IAM, as far as a caller of the QuickSight user API can tell: the caller's identity-based policy
// (statements as a synthesized template resolves them), evaluated for the action and resource ARN
// each request authorizes, and the refusal of any account but the caller's own.
//
// Evaluation (IAM's policy evaluation logic, for one identity-based policy and no resource-based
// policy): an explicit Deny in a matching statement wins; otherwise a matching Allow allows;
// otherwise the request is implicitly denied. Action and NotAction match case-insensitively with
// the wildcards * and ?; Resource and NotResource match case-sensitively with the same wildcards
// (which also match '/' and ':'). Conditions are not evaluated: a statement with one is refused
// when the policy is set, rather than silently misread.
//
// The resource each action authorizes (the service authorization reference for QuickSight, and the
// older RegisterUser reference page: "The permission resource is
// arn:aws:quicksight:us-east-1:<aws-account-id>:user/default/<user-name>"): the user's ARN for the
// user operations, the ResourceArn for the tag operations, user/<namespace>/* for ListUsers; the
// group's ARN (group/<namespace>/<group name>) for the group and membership operations (CreateGroup's
// page: "The permissions resource is arn:aws:quicksight:<your-region>:<account-id>:group/default/
// <group-name>"), group/<namespace>/* for ListGroups, the user's ARN for ListUserGroups; the
// account-level reads have no resource type, so IAM evaluates them against "*".
import { IAM_DENIAL_STATUS, ApiError } from './errors';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny' | string;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: unknown;
}

export type PolicyInput = readonly PolicyStatement[] | { readonly Statement: PolicyStatement | readonly PolicyStatement[] };

/** What IAM evaluates for one request. */
export interface Authorization {
  /** quicksight:<Operation> */
  readonly action: string;
  /** The ARN of the resource the action applies to, or '*' when the action has no resource type. */
  readonly resource: string;
  /** The account that owns the resource (undefined for '*'). */
  readonly resourceAccount?: string;
}

export type Decision = 'allow' | 'implicit-deny' | 'explicit-deny';

export class IamPolicy {
  public readonly statements: readonly PolicyStatement[];

  constructor(policy: PolicyInput) {
    const statements = Array.isArray(policy) ? policy : [(policy as { Statement: PolicyStatement | PolicyStatement[] }).Statement].flat();
    for (const [i, s] of statements.entries()) {
      const where = `policy statement ${s.Sid ?? i}`;
      if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new Error(`${where}: Effect must be Allow or Deny, got ${JSON.stringify(s.Effect)}`);
      if ((s.Action === undefined) === (s.NotAction === undefined)) throw new Error(`${where}: exactly one of Action and NotAction`);
      if ((s.Resource === undefined) === (s.NotResource === undefined)) throw new Error(`${where}: exactly one of Resource and NotResource`);
      if (s.Condition !== undefined) throw new Error(`${where}: the emulator does not evaluate Condition blocks`);
      for (const value of [s.Action, s.NotAction, s.Resource, s.NotResource].flat()) {
        if (value !== undefined && typeof value !== 'string') {
          throw new Error(`${where}: ${JSON.stringify(value)} is not a string (resolve the template's intrinsics first)`);
        }
      }
    }
    this.statements = statements;
  }

  /** The quicksight actions the policy allows (as written, wildcards included). */
  public get allowedActions(): string[] {
    return this.statements.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action));
  }

  public decide(request: Authorization): Decision {
    const matching = this.statements.filter((s) => statementMatches(s, request));
    if (matching.some((s) => s.Effect === 'Deny')) return 'explicit-deny';
    return matching.some((s) => s.Effect === 'Allow') ? 'allow' : 'implicit-deny';
  }
}

function statementMatches(s: PolicyStatement, request: Authorization): boolean {
  const action = s.Action !== undefined
    ? list(s.Action).some((p) => wildcard(p, request.action, true))
    : !list(s.NotAction).some((p) => wildcard(p, request.action, true));
  const resource = s.Resource !== undefined
    ? list(s.Resource).some((p) => wildcard(p, request.resource, false))
    : !list(s.NotResource).some((p) => wildcard(p, request.resource, false));
  return action && resource;
}

function list(value: string | readonly string[] | undefined): string[] {
  return value === undefined ? [] : [value].flat();
}

/** IAM's wildcard match: * any run of characters, ? one character, the whole value. */
export function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/**
 * The refusal IAM answers, in its own words: "User: <caller> is not authorized to perform:
 * <action> on resource: <arn> because no identity-based policy allows the <action> action" (or
 * "with an explicit deny in an identity-based policy", or, for another account's resource,
 * "because no resource-based policy allows ..."), with HTTP 403.
 */
export function iamDenial(caller: string, request: Authorization, why: 'identity' | 'explicit' | 'resource'): ApiError {
  const reason = {
    identity: `because no identity-based policy allows the ${request.action} action`,
    explicit: 'with an explicit deny in an identity-based policy',
    resource: `because no resource-based policy allows the ${request.action} action`,
  }[why];
  return new ApiError('AccessDeniedException', `User: ${caller} is not authorized to perform: ${request.action} on resource: ${request.resource} ${reason}`, undefined, IAM_DENIAL_STATUS);
}
