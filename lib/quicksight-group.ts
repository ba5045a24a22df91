import { createHash } from 'node:crypto';
import { ArnFormat, CustomResource, Fn, IResource, Names, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import {
  formatGroupIssue, parseGroupArn, validateGroupSpec, validateMembershipSpec, type GroupSpec, type GroupValidationIssue, type MembershipSpec,
} from './group-model';
import { duplicatePaths, supportedRemovalPolicy, validateAppOnce } from './app-checks';
import { DEFAULT_NAMESPACE } from './model';
import { QuickSightUserProvider } from './provider';
import type { IQuickSightUser } from './quicksight-user';

/** The CloudFormation resource type of a QuickSight group. */
export const GROUP_RESOURCE_TYPE = 'Custom::QuickSightGroup';

/** The CloudFormation resource type of one membership of a user the app does not manage. */
export const MEMBERSHIP_RESOURCE_TYPE = 'Custom::QuickSightGroupMembership';

/** A QuickSight group, managed by this app or imported. */
export interface IQuickSightGroup extends IResource {
  /**
   * The ARN of the group, `arn:<partition>:quicksight:<identity region>:<account>:group/<namespace>/<group name>`.
   * @attribute
   */
  readonly groupArn: string;
  /**
   * The name of the group.
   * @attribute
   */
  readonly groupName: string;
  /**
   * The principal id of the group. Only known for groups this app manages.
   * @attribute
   */
  readonly principalId: string;
  /** The QuickSight namespace of the group: its members are users of that namespace. */
  readonly namespace: string;
  /** The AWS account that holds the group's QuickSight account. */
  readonly awsAccountId: string;
  /** The QuickSight identity region of the group's account. */
  readonly identityRegion: string;

  /**
   * Makes a user a member of this group. A user this app manages (a `QuickSightUser`) carries its
   * memberships itself (its `Groups` property, one resource per user); any other user gets a
   * `QuickSightGroupMembership` of its own, next to the group.
   */
  addMember(user: IQuickSightUser): void;
}

/** Properties of a QuickSightGroup. Names follow QuickSight's CreateGroup request. */
export interface QuickSightGroupProps {
  /**
   * The name of the group: 1 or more characters from U+0020 to U+00FF. A change creates (or
   * adopts) the group of the new name and deletes the old one once the deployment succeeds: every
   * share with the old group is lost.
   */
  readonly groupName: string;

  /**
   * The description of the group, 1 to 512 characters. Changed in place. QuickSight cannot
   * remove a description: leaving it out leaves the group's description as it is.
   * @default - no description
   */
  readonly description?: string;

  /**
   * The QuickSight namespace of the group; its members are users of the same namespace. A change
   * is a new group.
   * @default 'default'
   */
  readonly namespace?: string;

  /**
   * The AWS account that holds the QuickSight account. It must be the stack's account (refused
   * at synth where both are known, at deploy time otherwise).
   * @default - the stack's account
   */
  readonly awsAccountId?: string;

  /**
   * The QuickSight identity region of the account: QuickSight only accepts group calls there,
   * whatever region the stack is in. A change is a new group.
   * @default - the stack's region
   */
  readonly identityRegion?: string;

  /**
   * What happens to the QuickSight group when it leaves the stack (removed from the app, renamed,
   * or the stack deleted): DESTROY deletes it (every share with it is lost), RETAIN keeps it.
   * A group is never deleted by a rollback (see the README: QuickSight groups cannot be tagged,
   * so a rollback cannot tell a group the failed deployment created from one it adopted).
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * What happens when the group already exists in QuickSight at create time: adopt it (set the
   * declared description and manage it from then on), or fail the deployment.
   * @default true
   */
  readonly adoptExistingGroup?: boolean;
}

/** Where an imported group lives, besides its name. */
export interface QuickSightGroupImportOptions {
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

/** Properties of a QuickSightGroupMembership. */
export interface QuickSightGroupMembershipProps {
  /** The group the user joins. */
  readonly group: IQuickSightGroup;
  /**
   * The user that joins the group: one this app does not manage (`QuickSightUser.fromUserName`,
   * `fromUserArn`). A `QuickSightUser` of the app takes its groups itself (`groups`, `addToGroup`).
   */
  readonly user: IQuickSightUser;
}

const isUnresolved = (value: unknown): boolean => Token.isUnresolved(value);

abstract class QuickSightGroupBase extends Resource implements IQuickSightGroup {
  public abstract readonly groupArn: string;
  public abstract readonly groupName: string;
  public abstract readonly principalId: string;
  public abstract readonly namespace: string;
  public abstract readonly awsAccountId: string;
  public abstract readonly identityRegion: string;

  public addMember(user: IQuickSightUser): void {
    const managed = user as IQuickSightUser & { addToGroup?: (group: IQuickSightGroup) => void; _isManagedUser?: boolean };
    if (managed._isManagedUser === true && managed.addToGroup !== undefined) {
      managed.addToGroup(this);
      return;
    }
    // One membership per member name (the same user imported twice is one membership).
    const id = Token.isUnresolved(user.userName)
      ? `Member${Names.nodeUniqueId(user.node)}`
      : `Member${user.userName.replace(/[^A-Za-z0-9]/g, '').slice(0, 40)}${createHash('sha256').update(user.userName).digest('hex').slice(0, 8)}`;
    if (this.node.tryFindChild(id) !== undefined) return;
    new QuickSightGroupMembership(this, id, { group: this, user });
  }
}

class ImportedQuickSightGroup extends QuickSightGroupBase {
  constructor(
    scope: Construct, id: string,
    public readonly groupArn: string, public readonly groupName: string,
    public readonly namespace: string, public readonly awsAccountId: string, public readonly identityRegion: string,
  ) {
    super(scope, id);
  }

  public get principalId(): string {
    throw new Error(`${this.node.path}: the principalId of an imported QuickSight group is not known to the stack`);
  }
}

/**
 * An Amazon QuickSight group: created on create (or adopted when it already exists), its
 * description updated in place, replaced when its name or place changes, and deleted on delete.
 * A `Custom::QuickSightGroup` on the same per-stack handler as the users: the native
 * `AWS::QuickSight::Group` can neither adopt an existing group nor reach an identity region other
 * than the stack's.
 *
 * @resource Custom::QuickSightGroup
 */
export class QuickSightGroup extends QuickSightGroupBase {
  /** Imports a group by its name, for a group this app does not manage. */
  public static fromGroupName(scope: Construct, id: string, groupName: string, options: QuickSightGroupImportOptions = {}): IQuickSightGroup {
    const stack = Stack.of(scope);
    const namespace = options.namespace ?? DEFAULT_NAMESPACE;
    const awsAccountId = options.awsAccountId ?? stack.account;
    const identityRegion = options.identityRegion ?? stack.region;
    throwIfInvalid(`${scope.node.path}/${id}`, validateGroupSpec({ AwsAccountId: awsAccountId, Namespace: namespace, IdentityRegion: identityRegion, GroupName: groupName }, { isUnresolved }));
    const groupArn = stack.formatArn({
      service: 'quicksight', region: identityRegion, account: awsAccountId, resource: 'group', resourceName: `${namespace}/${groupName}`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    return new ImportedQuickSightGroup(scope, id, groupArn, groupName, namespace, awsAccountId, identityRegion);
  }

  /** Imports a group by its ARN, for a group this app does not manage. */
  public static fromGroupArn(scope: Construct, id: string, groupArn: string): IQuickSightGroup {
    if (Token.isUnresolved(groupArn)) {
      // Known at deploy time only: arn:<partition>:quicksight:<region>:<account>:group/<namespace>/<name>.
      const resource = Fn.select(5, Fn.split(':', groupArn));
      return new ImportedQuickSightGroup(scope, id, groupArn, Fn.select(2, Fn.split('/', resource)), Fn.select(1, Fn.split('/', resource)),
        Fn.select(4, Fn.split(':', groupArn)), Fn.select(3, Fn.split(':', groupArn)));
    }
    const parsed = parseGroupArn(groupArn);
    if (!parsed) {
      throw new Error(`${scope.node.path}/${id}: groupArn '${groupArn}' is not a QuickSight group ARN (arn:<partition>:quicksight:<region>:<account>:group/<namespace>/<group name>)`);
    }
    return new ImportedQuickSightGroup(scope, id, groupArn, parsed.groupName, parsed.namespace, parsed.accountId, parsed.region);
  }

  public readonly groupArn: string;
  public readonly groupName: string;
  public readonly principalId: string;
  public readonly namespace: string;
  public readonly awsAccountId: string;
  public readonly identityRegion: string;

  constructor(scope: Construct, id: string, props: QuickSightGroupProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.namespace = props.namespace ?? DEFAULT_NAMESPACE;
    this.awsAccountId = props.awsAccountId ?? stack.account;
    this.identityRegion = props.identityRegion ?? stack.region;

    const removalPolicy = supportedRemovalPolicy(props.removalPolicy, (name) =>
      `QuickSightGroup ${this.node.path}: removalPolicy RemovalPolicy.${name} is not supported for a QuickSight group: use RemovalPolicy.DESTROY (delete) or RemovalPolicy.RETAIN (keep)`);
    const spec: GroupSpec = {
      AwsAccountId: this.awsAccountId,
      Namespace: this.namespace,
      IdentityRegion: this.identityRegion,
      GroupName: props.groupName,
      Description: props.description,
    };
    throwIfInvalid(`QuickSightGroup ${this.node.path}`, validateGroupSpec(spec, { isUnresolved }));
    if (props.awsAccountId !== undefined && !Token.isUnresolved(props.awsAccountId) && !Token.isUnresolved(stack.account) && props.awsAccountId !== stack.account) {
      throw new Error(`QuickSightGroup ${this.node.path}: awsAccountId '${props.awsAccountId}' is not the account of stack ${stack.stackName} ('${stack.account}'): QuickSight only accepts group calls from the account that holds the QuickSight account, so declare this group in a stack of account ${props.awsAccountId} (or leave awsAccountId unset)`);
    }
    registerGroupDuplicateCheck(this);

    const provider = QuickSightUserProvider.of(this);
    provider.grantScope(this.awsAccountId, this.identityRegion);
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: GROUP_RESOURCE_TYPE,
      removalPolicy,
      properties: {
        ...spec,
        AdoptExistingGroup: props.adoptExistingGroup === false ? 'false' : undefined,
      },
    });
    // The name as declared, not the attribute: a member refers to the group by name (and depends on
    // it explicitly), so that renaming a group never needs a cross-stack export to change.
    this.groupName = props.groupName;
    this.groupArn = resource.getAttString('Arn');
    this.principalId = resource.getAttString('PrincipalId');
    this.declaredKey = Token.isUnresolved(props.groupName) || Token.isUnresolved(this.namespace)
      ? undefined : [this.awsAccountId, this.identityRegion, this.namespace, props.groupName].join('|');
  }

  private readonly declaredKey: string | undefined;

  /** @internal */
  public get _declaredKey(): string | undefined {
    return this.declaredKey;
  }
}

/**
 * The membership of one user that this app does not manage (imported with
 * `QuickSightUser.fromUserName` or `fromUserArn`) in one group: added on create (or found already
 * there), removed on delete. A user the app manages carries its memberships itself.
 *
 * @resource Custom::QuickSightGroupMembership
 */
export class QuickSightGroupMembership extends Construct {
  /** The name of the member (the user's name). */
  public readonly memberName: string;

  constructor(scope: Construct, id: string, props: QuickSightGroupMembershipProps) {
    super(scope, id);
    const { group, user } = props;
    const spec: MembershipSpec = {
      AwsAccountId: group.awsAccountId,
      Namespace: group.namespace,
      IdentityRegion: group.identityRegion,
      GroupName: group.groupName,
      MemberName: user.userName,
    };
    throwIfInvalid(`QuickSightGroupMembership ${this.node.path}`, validateMembershipSpec(spec, { isUnresolved }));
    const userPlace = placeOfUser(user);
    if (userPlace !== undefined) {
      const mismatch = placeMismatch(userPlace, group);
      if (mismatch) throw new Error(`QuickSightGroupMembership ${this.node.path}: user '${user.userName}' ${mismatch}`);
    }
    this.memberName = user.userName;
    const provider = QuickSightUserProvider.of(this);
    provider.grantScope(group.awsAccountId, group.identityRegion);
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: MEMBERSHIP_RESOURCE_TYPE,
      properties: { ...spec },
    });
    dependOnGroup(resource, group);
  }
}

// ---- helpers (shared with quicksight-user.ts) ----

/** Where a user or group lives: account, identity region, namespace. */
export interface Place {
  readonly awsAccountId: string;
  readonly identityRegion: string;
  readonly namespace: string;
}

/** The place of a user, when the user says it (managed users, users imported by name or ARN). */
export function placeOfUser(user: IQuickSightUser): Place | undefined {
  const withPlace = user as IQuickSightUser & Partial<Place>;
  if (withPlace.namespace === undefined || withPlace.awsAccountId === undefined || withPlace.identityRegion === undefined) return undefined;
  return { awsAccountId: withPlace.awsAccountId, identityRegion: withPlace.identityRegion, namespace: withPlace.namespace };
}

/**
 * Why a user cannot join a group (another account, identity region or namespace), where both
 * values are known at synth; undefined when it can, or when it cannot be told yet.
 */
export function placeMismatch(user: Place, group: IQuickSightGroup): string | undefined {
  const differs = (a: string, b: string) => !Token.isUnresolved(a) && !Token.isUnresolved(b) && a !== b;
  const name = Token.isUnresolved(group.groupName) ? 'the group' : `group '${group.groupName}'`;
  if (differs(user.namespace, group.namespace)) {
    return `is in namespace '${user.namespace}' and cannot join ${name} of namespace '${group.namespace}': a QuickSight group's members are users of its own namespace`;
  }
  if (differs(user.awsAccountId, group.awsAccountId)) return `is in account ${user.awsAccountId} and cannot join ${name} of account ${group.awsAccountId}`;
  if (differs(user.identityRegion, group.identityRegion)) {
    return `is in identity region ${user.identityRegion} and cannot join ${name} of identity region ${group.identityRegion}: one QuickSight account has one identity region`;
  }
  return undefined;
}

/**
 * Makes a resource wait for a group of the app: a CloudFormation dependency in the same stack, a
 * stack dependency otherwise, so that the group exists before its members. An imported group
 * needs none.
 */
export function dependOnGroup(resource: IConstruct, group: IQuickSightGroup): void {
  if (!(group instanceof QuickSightGroup)) return;
  const from = Stack.of(resource);
  const to = Stack.of(group);
  // On the group's own resource, not the construct: its memberships are its children.
  if (from === to) resource.node.addDependency(group.node.findChild('Resource'));
  else addStackDependency(from, to, `QuickSight group '${group.groupName}' must exist before its members`);
}

/** Stack.addStackDependency where aws-cdk-lib has it (addDependency, its deprecated name, in the oldest releases the peer range accepts). */
function addStackDependency(from: Stack, to: Stack, reason: string): void {
  const stack = from as Stack & { addStackDependency?: (target: Stack, reason?: string) => void };
  if (typeof stack.addStackDependency === 'function') stack.addStackDependency(to, reason);
  else stack.addDependency(to, reason);
}

function throwIfInvalid(subject: string, issues: GroupValidationIssue[]): void {
  const errors = issues.map((issue) => formatGroupIssue(issue, true));
  if (errors.length === 1) throw new Error(`${subject}: ${errors[0]}`);
  if (errors.length > 1) throw new Error(`${subject} has ${errors.length} errors:\n- ${errors.join('\n- ')}`);
}

/** Two resources declaring the same group would fight over it: one check per app finds them at synth. */
function registerGroupDuplicateCheck(group: QuickSightGroup): void {
  validateAppOnce(group, 'quicksight-user-cdk.group-duplicate-check', (root) =>
    duplicatePaths(root, (c) => (c instanceof QuickSightGroup ? c._declaredKey : undefined)).map((paths) =>
      `QuickSight group declared more than once (${paths.join(', ')}): each group (account, identity region, namespace, name) must be declared by one QuickSightGroup only`));
}
