import {
  ArnFormat, CfnOutput, CustomResource, Fn, IResource, ITaggable, Lazy, RemovalPolicy, Resource, Stack, TagManager, TagType, Token,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import {
  authenticationMethodOf, DEFAULT_NAMESPACE, deriveUserName, ExternalLoginFederationProviderType, formatIssueInPropTerms, IdentityType, parseUserArn, UserRole,
  validateTags, validateUserSpec, type UserSpec, type UserTag, type ValidationIssue,
} from './model';
import { duplicatePaths, supportedRemovalPolicy, validateAppOnce } from './app-checks';
import { normalizeGroupNames, validateGroupNames } from './group-model';
import { QuickSightUserProvider } from './provider';
import { dependOnGroup, placeMismatch, QuickSightGroup, type IQuickSightGroup } from './quicksight-group';

/** The CloudFormation resource type of a QuickSight user. */
export const RESOURCE_TYPE = 'Custom::QuickSightUser';

/** A QuickSight user, managed by this stack or imported. */
export interface IQuickSightUser extends IResource {
  /**
   * The ARN of the user, `arn:<partition>:quicksight:<identity region>:<account>:user/<namespace>/<user name>`.
   * @attribute
   */
  readonly userArn: string;
  /**
   * The QuickSight user name (for IAM role sessions, `RoleName/SessionName`).
   * @attribute
   */
  readonly userName: string;
  /**
   * The principal id of the user. Only known for users this stack manages.
   * @attribute
   */
  readonly principalId: string;
  /**
   * The URL the user visits to complete registration: QUICKSIGHT users only, and only on the
   * deployment that registered the user (QuickSight returns it once); an empty string otherwise.
   * @attribute
   */
  readonly invitationUrl: string;
}

/** Properties of a QuickSightUser. Names follow QuickSight's RegisterUser request. */
export interface QuickSightUserProps {
  /** The email address of the user. Changed in place. */
  readonly email: string;

  /** How QuickSight manages the user's identity. A change registers a new user. */
  readonly identityType: IdentityType;

  /** The QuickSight role of the user. Changed in place, in either direction. */
  readonly role: UserRole;

  /**
   * The QuickSight user name. Required for QUICKSIGHT and IAM_IDENTITY_CENTER users; not accepted
   * for IAM users, whose name comes from the IAM user or role (`RoleName/SessionName`).
   * A change registers a new user.
   * @default - none (IAM users take their name from `iamArn`)
   */
  readonly userName?: string;

  /**
   * The ARN of the IAM user or role to register. Required for, and only accepted with, IAM users.
   * A change registers a new user.
   * @default - none
   */
  readonly iamArn?: string;

  /**
   * The session name, for an IAM role registered once per session (user name `RoleName/SessionName`).
   * Only accepted with the ARN of an IAM role. A change registers a new user.
   * @default - none: the role itself is registered
   */
  readonly sessionName?: string;

  /**
   * The QuickSight namespace of the user. A change registers a new user.
   * @default 'default'
   */
  readonly namespace?: string;

  /**
   * The AWS account that holds the QuickSight account. It must be the stack's account: the
   * handler calls QuickSight with its role in the stack's account, and QuickSight refuses calls
   * about another account (refused at synth where both are known, at deploy time otherwise).
   * @default - the stack's account
   */
  readonly awsAccountId?: string;

  /**
   * The QuickSight identity region of the account: QuickSight only accepts user calls there,
   * whatever region the stack is in. A change registers a new user.
   * @default - the stack's region
   */
  readonly identityRegion?: string;

  /**
   * The custom permissions profile to apply to the user (Enterprise edition; the profile is
   * created in the QuickSight console). Set, changed and removed in place.
   * @default - no custom permissions
   */
  readonly customPermissionsName?: string;

  /**
   * The external login provider the user federates from. Set, changed and removed in place.
   * @default - no external login
   */
  readonly externalLoginFederationProviderType?: ExternalLoginFederationProviderType;

  /**
   * The URL of the custom OIDC provider. Required with, and only accepted with, CUSTOM_OIDC.
   * @default - none
   */
  readonly customFederationProviderUrl?: string;

  /**
   * The identity id of the user in the external login provider. Only accepted with
   * `externalLoginFederationProviderType`.
   * @default - none
   */
  readonly externalLoginId?: string;

  /**
   * Tags of the QuickSight user. `Tags.of(scope).add()` reaches the user too (and wins over a tag
   * given here with the same key, as for any CDK resource). At most 48 (QuickSight keeps 50 on a
   * user, two of which mark the stack resources that manage it); keys starting with
   * `quicksight-user-cdk:` are reserved. Changed in place.
   * @default - no tags
   */
  readonly tags?: { [key: string]: string };

  /**
   * What happens to the QuickSight user when it leaves the stack (removed from the app, replaced,
   * or the stack deleted): DESTROY deregisters it, RETAIN keeps it in QuickSight.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * What happens when the user already exists in QuickSight at create time: adopt it (converge its
   * email, role, permissions, external login and tags to the declared ones and manage it from then
   * on), or fail the deployment.
   * @default true
   */
  readonly adoptExistingUser?: boolean;

  /**
   * The groups the user is a member of: groups of the app (`QuickSightGroup`, which then exists
   * before the user: a dependency in the same stack, a stack dependency otherwise) or imported
   * ones (`QuickSightGroup.fromGroupName`). Each must be in the user's account, identity region and
   * namespace. The memberships are added on create and on adoption, and changed in place: a
   * membership is removed only when the declaration stops naming its group; memberships the user
   * has that were never declared are left alone. More with `addToGroup()`.
   * @default - no groups
   */
  readonly groups?: IQuickSightGroup[];

  /**
   * Whether to add stack outputs with the user's ARN and, for QUICKSIGHT users, the invitation URL.
   * A stack holds at most 200 outputs: turn them off for large stacks.
   * @default true
   */
  readonly stackOutputs?: boolean;
}

/** Where an imported user lives, besides its name. */
export interface QuickSightUserImportOptions {
  /**
   * @default 'default'
   */
  readonly namespace?: string;
  /**
   * @default - the stack's account
   */
  readonly awsAccountId?: string;
  /**
   * @default - the stack's region
   */
  readonly identityRegion?: string;
}

const isUnresolved = (value: unknown): boolean => Token.isUnresolved(value);

abstract class QuickSightUserBase extends Resource implements IQuickSightUser {
  public abstract readonly userArn: string;
  public abstract readonly userName: string;
  public abstract readonly principalId: string;
  public abstract readonly invitationUrl: string;
}

class ImportedQuickSightUser extends QuickSightUserBase {
  constructor(
    scope: Construct, id: string, public readonly userArn: string, public readonly userName: string,
    public readonly namespace: string, public readonly awsAccountId: string, public readonly identityRegion: string,
  ) {
    super(scope, id);
  }

  public get principalId(): string {
    throw new Error(`${this.node.path}: the principalId of an imported QuickSight user is not known to the stack`);
  }

  public get invitationUrl(): string {
    throw new Error(`${this.node.path}: the invitationUrl of an imported QuickSight user is not known to the stack (QuickSight returns it once, at registration)`);
  }
}

/**
 * An Amazon QuickSight user, registered on create, updated in place where QuickSight allows,
 * replaced when its identity changes, and deregistered on delete (CloudFormation has no native
 * resource type for it: this is a `Custom::QuickSightUser` backed by one handler per stack).
 *
 * @resource Custom::QuickSightUser
 */
export class QuickSightUser extends QuickSightUserBase implements ITaggable {
  /** Imports a user by its ARN, for a user this stack does not manage. */
  public static fromUserArn(scope: Construct, id: string, userArn: string): IQuickSightUser {
    const parsed = Token.isUnresolved(userArn) ? undefined : parseUserArn(userArn);
    if (!Token.isUnresolved(userArn) && !parsed) {
      throw new Error(`${scope.node.path}/${id}: userArn '${userArn}' is not a QuickSight user ARN (arn:<partition>:quicksight:<region>:<account>:user/<namespace>/<user name>)`);
    }
    // For an ARN only known at deploy time, the name is its last '/' segment (a RoleName/SessionName
    // user therefore yields the session name only).
    const userName = parsed?.userName ?? Fn.select(2, Fn.split('/', arnResource(userArn)));
    return new ImportedQuickSightUser(scope, id, userArn, userName,
      parsed?.namespace ?? Fn.select(1, Fn.split('/', arnResource(userArn))),
      parsed?.accountId ?? Fn.select(4, Fn.split(':', userArn)),
      parsed?.region ?? Fn.select(3, Fn.split(':', userArn)));
  }

  /** Imports a user by its name, for a user this stack does not manage. */
  public static fromUserName(scope: Construct, id: string, userName: string, options: QuickSightUserImportOptions = {}): IQuickSightUser {
    const stack = Stack.of(scope);
    const namespace = options.namespace ?? DEFAULT_NAMESPACE;
    const awsAccountId = options.awsAccountId ?? stack.account;
    const identityRegion = options.identityRegion ?? stack.region;
    const userArn = stack.formatArn({
      service: 'quicksight',
      region: identityRegion,
      account: awsAccountId,
      resource: 'user',
      resourceName: `${namespace}/${userName}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    return new ImportedQuickSightUser(scope, id, userArn, userName, namespace, awsAccountId, identityRegion);
  }

  public readonly userArn: string;
  public readonly userName: string;
  public readonly principalId: string;
  public readonly invitationUrl: string;
  /** Tags of the QuickSight user; `Tags.of()` writes here. */
  public readonly tags: TagManager;
  /** The namespace of the user. */
  public readonly namespace: string;
  /** The AWS account of the user. */
  public readonly awsAccountId: string;
  /** The identity region the handler calls QuickSight in. */
  public readonly identityRegion: string;

  constructor(scope: Construct, id: string, props: QuickSightUserProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.namespace = props.namespace ?? DEFAULT_NAMESPACE;
    this.awsAccountId = props.awsAccountId ?? stack.account;
    this.identityRegion = props.identityRegion ?? stack.region;
    this.tags = new TagManager(TagType.MAP, RESOURCE_TYPE, props.tags);

    const removalPolicy = supportedRemovalPolicy(props.removalPolicy, (name) =>
      `${this.node.path}: removalPolicy RemovalPolicy.${name} is not supported for a QuickSight user: use RemovalPolicy.DESTROY (deregister) or RemovalPolicy.RETAIN (keep)`);

    const spec: UserSpec = {
      AwsAccountId: this.awsAccountId,
      Namespace: this.namespace,
      IdentityRegion: this.identityRegion,
      Email: props.email,
      IdentityType: props.identityType,
      UserRole: props.role,
      IamArn: props.iamArn,
      SessionName: props.sessionName,
      UserName: props.userName,
      CustomPermissionsName: props.customPermissionsName,
      ExternalLoginFederationProviderType: props.externalLoginFederationProviderType,
      CustomFederationProviderUrl: props.customFederationProviderUrl,
      ExternalLoginId: props.externalLoginId,
      Tags: tagList(props.tags),
    };
    this.throwIfInvalid(spec);
    if (props.awsAccountId !== undefined && !Token.isUnresolved(props.awsAccountId) && !Token.isUnresolved(stack.account) && props.awsAccountId !== stack.account) {
      // The handler runs with its role in the stack's account, and QuickSight refuses calls about
      // another account (AccessDeniedException). Where either account is a token, the handler
      // refuses it at deploy time instead.
      throw new Error(`QuickSightUser ${this.node.path}: awsAccountId '${props.awsAccountId}' is not the account of stack ${stack.stackName} ('${stack.account}'): QuickSight only accepts user calls from the account that holds the QuickSight account, so declare this user in a stack of account ${props.awsAccountId} (or leave awsAccountId unset)`);
    }
    // Tags added with Tags.of() arrive after construction (an aspect): they are checked at synth.
    this.node.addValidation({ validate: () => this.describeIssues(validateTags(tagList(this.tags.tagValues()), { isUnresolved })) });
    registerDuplicateCheck(this);

    const provider = QuickSightUserProvider.of(this);
    provider.grantScope(this.awsAccountId, this.identityRegion);
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: RESOURCE_TYPE,
      removalPolicy,
      properties: {
        ...withoutTags(spec),
        Tags: Lazy.any({ produce: () => tagList(this.tags.tagValues()) }),
        // Written only when it differs from the default, to keep the template short.
        AdoptExistingUser: props.adoptExistingUser === false ? 'false' : undefined,
        // Sorted group names (left out when there are none: a user without groups keeps its template).
        Groups: Lazy.list({ produce: () => this.groupNames() }, { omitEmpty: true }),
      },
    });
    this.resource = resource;
    this.userArn = resource.getAttString('Arn');
    this.userName = resource.getAttString('UserName');
    this.principalId = resource.getAttString('PrincipalId');
    this.invitationUrl = resource.getAttString('InvitationUrl');
    this.declaredKey = userKey(spec);
    this.identityType = props.identityType;
    for (const group of props.groups ?? []) this.addToGroup(group);

    if (props.stackOutputs ?? true) {
      new CfnOutput(this, 'Arn', { value: this.userArn, description: `ARN of QuickSight user ${describeName(spec)}` });
      if (props.identityType === IdentityType.QUICKSIGHT) {
        new CfnOutput(this, 'InvitationUrl', {
          value: this.invitationUrl,
          description: `Invitation URL of QuickSight user ${describeName(spec)} (set on the deployment that registers the user, empty after)`,
        });
      }
    }
  }

  /**
   * Makes the user a member of a group: a group of the app (which then exists before the user) or
   * an imported one, in the user's account, identity region and namespace. Adding a group twice
   * is the same as adding it once.
   */
  public addToGroup(group: IQuickSightGroup): void {
    if (this.identityType === IdentityType.IAM_IDENTITY_CENTER) {
      throw new Error(`QuickSightUser ${this.node.path}: an IAM_IDENTITY_CENTER user cannot be added to QuickSight groups: QuickSight refuses group changes for identities managed by IAM Identity Center, whose users take their groups from IAM Identity Center (manage the membership there)`);
    }
    const mismatch = placeMismatch(this, group);
    if (mismatch) throw new Error(`QuickSightUser ${this.node.path}: ${mismatch}`);
    const problems = validateGroupNames([group.groupName], { isUnresolved });
    if (problems.length > 0) throw new Error(`QuickSightUser ${this.node.path}: group name ${JSON.stringify(group.groupName)} ${problems[0].rule.replace(/^has a group name that /, '')}`);
    if (this.groups.some((g) => g === group || (!Token.isUnresolved(g.groupName) && g.groupName === group.groupName))) return;
    this.groups.push(group);
    dependOnGroup(this.resource, group);
  }

  /** The groups the user is declared a member of. */
  public get memberOf(): IQuickSightGroup[] {
    return [...this.groups];
  }

  /** @internal */
  public readonly _isManagedUser = true;

  private readonly groups: IQuickSightGroup[] = [];
  private readonly resource: CustomResource;

  /** The Groups property: names known at synth sorted, then the ones known at deploy time. */
  private groupNames(): string[] {
    const names = this.groups.map((g) => g.groupName);
    return [...normalizeGroupNames(names.filter((n) => !Token.isUnresolved(n))), ...names.filter((n) => Token.isUnresolved(n))];
  }

  /** Identifies the declared user (account, region, namespace, name) for the duplicate check. */
  private readonly declaredKey: string | undefined;
  private readonly identityType: string;

  private throwIfInvalid(spec: Partial<UserSpec>): void {
    const errors = this.validationErrors(spec);
    if (errors.length === 1) throw new Error(`QuickSightUser ${this.node.path}: ${errors[0]}`);
    if (errors.length > 1) throw new Error(`QuickSightUser ${this.node.path} has ${errors.length} errors:\n- ${errors.join('\n- ')}`);
  }

  private validationErrors(spec: Partial<UserSpec>): string[] {
    return this.describeIssues(validateUserSpec(spec, { isUnresolved }));
  }

  /** Messages in the construct's own terms: prop names, not the API's field names. */
  private describeIssues(issues: ValidationIssue[]): string[] {
    return issues.map(formatIssueInPropTerms);
  }

  /** @internal */
  public get _declaredKey(): string | undefined {
    return this.declaredKey;
  }

  /** @internal */
  public get _identityType(): string {
    return this.identityType;
  }
}

// ---- helpers ----

function arnResource(arn: string): string {
  return Fn.select(5, Fn.split(':', arn));
}

function tagList(tags: { [key: string]: string } | undefined): UserTag[] | undefined {
  const entries = Object.entries(tags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length > 0 ? entries.map(([Key, Value]) => ({ Key, Value })) : undefined;
}

function withoutTags(spec: UserSpec): Omit<UserSpec, 'Tags'> {
  const { Tags: _tags, ...rest } = spec;
  return rest;
}

function describeName(spec: UserSpec): string {
  const name = deriveUserName(spec);
  return name !== undefined && !Token.isUnresolved(name) ? name : '(resolved at deploy time)';
}

/**
 * The key of the QuickSight user a spec declares, or undefined when its name is not known at
 * synth time. Account and region tokens are only comparable within one stack, so the stack path
 * joins the key when they are unresolved.
 */
function userKey(spec: UserSpec): string | undefined {
  const name = deriveUserName(spec);
  if (name === undefined || Token.isUnresolved(name) || Token.isUnresolved(spec.Namespace)) return undefined;
  return [spec.AwsAccountId, spec.IdentityRegion, spec.Namespace, name].join('|');
}

/**
 * Two resources declaring the same QuickSight user would fight over it, and deleting either
 * would deregister the user the other still declares: one check per app finds them all at synth.
 */
function registerDuplicateCheck(user: QuickSightUser): void {
  validateAppOnce(user, 'quicksight-user-cdk.duplicate-check', (root) => [
    ...duplicatePaths(root, (c) => (c instanceof QuickSightUser ? c._declaredKey : undefined)).map((paths) =>
      `QuickSight user declared more than once (${paths.join(', ')}): each user (account, identity region, namespace, name) must be declared by one QuickSightUser only`),
    ...mixedAuthenticationMethods(root),
    ...groupsInIdentityCenterAccounts(root),
  ]);
}

/**
 * An account whose users are IAM Identity Center users gets its groups from IAM Identity Center:
 * QuickSight refuses CreateGroup there. A QuickSightGroup in such an account (where the app says so)
 * could never deploy.
 */
function groupsInIdentityCenterAccounts(root: IConstruct): string[] {
  const identityCenterAccounts = new Set<string>();
  const groups: QuickSightGroup[] = [];
  for (const construct of root.node.findAll()) {
    if (construct instanceof QuickSightUser && !Token.isUnresolved(construct.awsAccountId) && construct._identityType === IdentityType.IAM_IDENTITY_CENTER) {
      identityCenterAccounts.add(construct.awsAccountId);
    }
    if (construct instanceof QuickSightGroup) groups.push(construct);
  }
  return groups.filter((g) => identityCenterAccounts.has(g.awsAccountId)).map((g) =>
    `QuickSightGroup ${g.node.path}: account ${g.awsAccountId} is declared with IAM Identity Center users, whose QuickSight groups come from IAM Identity Center: QuickSight refuses to create or change groups there, so manage this group in IAM Identity Center and import it with QuickSightGroup.fromGroupName`);
}

/**
 * A QuickSight account authenticates IAM and QuickSight users, or IAM Identity Center users, never
 * both: an app that declares both kinds in one account (where the account is known at synth) could
 * never deploy one of them.
 */
function mixedAuthenticationMethods(root: IConstruct): string[] {
  const byAccount = new Map<string, Map<string, string[]>>();
  for (const construct of root.node.findAll()) {
    if (!(construct instanceof QuickSightUser) || Token.isUnresolved(construct.awsAccountId)) continue;
    const method = authenticationMethodOf(construct._identityType);
    if (method === undefined) continue;
    const methods = byAccount.get(construct.awsAccountId) ?? new Map<string, string[]>();
    methods.set(method, [...(methods.get(method) ?? []), construct.node.path]);
    byAccount.set(construct.awsAccountId, methods);
  }
  return [...byAccount].filter(([, methods]) => methods.size > 1).map(([account, methods]) => {
    const kinds = [...methods].map(([method, paths]) => `${method} (${paths.slice(0, 3).join(', ')}${paths.length > 3 ? `, and ${paths.length - 3} more` : ''})`);
    return `QuickSight account ${account} is declared with ${kinds.join(' and with ')}: a QuickSight account authenticates either IAM and QuickSight users or IAM Identity Center users (its authentication method), never both, so declare the users of one kind only`;
  });
}
