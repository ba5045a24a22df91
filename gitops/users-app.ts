// The stacks of a users file: one QuickSightUsersStack per shard (see sharding.ts), each with its
// own provider, each user under a construct id derived from its identity; and, when the file
// declares managed groups, one QuickSightGroupsStack that holds them all.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, CfnWaitConditionHandle, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import type { ExternalLoginFederationProviderType, IdentityType, UserRole } from '../lib/model';
import { QuickSightGroup, type IQuickSightGroup, type QuickSightGroupProps } from '../lib/quicksight-group';
import { QuickSightUser, type QuickSightUserProps } from '../lib/quicksight-user';
import { assignStacks, brokenLimits, describeLimit, templateCost, type Sharding } from './sharding';
import { UserRemovalPolicy, type DeclaredGroup, type DeclaredUser, type UsersFile } from './users-file';

export interface QuickSightUsersStackProps extends StackProps {
  /** The users this stack declares. */
  readonly users: DeclaredUser[];
  /**
   * The file's groups (`UsersFile.groups`), where the users' group names are looked up (by
   * account, identity region, namespace and name). A `managed: false` group is imported into this
   * stack (`QuickSightGroup.fromGroupName`); a managed one is the QuickSightGroup of `groupsStack`,
   * or, without a groups stack, declared in this stack.
   * @default - no groups: the users' memberships are left out of the stack, with a synth warning
   */
  readonly groups?: DeclaredGroup[];
  /**
   * The stack of the file's managed groups: this stack then depends on it when one of its users
   * is a member of one of them.
   * @default - managed groups the users join are declared in this stack
   */
  readonly groupsStack?: QuickSightGroupsStack;
}

export interface QuickSightGroupsStackProps extends StackProps {
  /** The managed groups this stack declares (`managed: false` groups are no stack's). */
  readonly groups: DeclaredGroup[];
}

/** Options for the stacks of a users file. */
export interface UsersFileStacksOptions {
  /**
   * Props every stack takes (env, synthesizer, tags…); `description` and `stackName` are set per stack.
   * @default - env-agnostic stacks
   */
  readonly stackProps?: StackProps;
}

/** The stacks of a users file, and how its users were assigned to them. */
export interface UsersFileStacks {
  /** The user stacks. */
  readonly stacks: QuickSightUsersStack[];
  /** The stack of the managed groups, when the file declares any. */
  readonly groupsStack?: QuickSightGroupsStack;
  readonly sharding: Sharding;
}

/** The file's managed groups, in a stack of their own that the user stacks with members depend on. */
export class QuickSightGroupsStack extends Stack {
  /** The groups this stack declares, by construct id. */
  public readonly groups: Record<string, QuickSightGroup> = {};

  constructor(scope: Construct, id: string, props: QuickSightGroupsStackProps) {
    super(scope, id, props);
    const managed = props.groups.filter((g) => g.managed);
    // CloudFormation refuses a template without resources (a stack built by hand with no group).
    if (managed.length === 0) new CfnWaitConditionHandle(this, 'NoGroups');
    for (const group of managed) this.groups[group.constructId] = new QuickSightGroup(this, group.constructId, groupPropsOf(group));
  }
}

/** One stack of QuickSight users, with its own handler. */
export class QuickSightUsersStack extends Stack {
  /**
   * Adds the stacks of a users file to an app: as many as CloudFormation's limits need (or as the
   * file pins), each user in the stack its key hashes to. The stacks deploy from the last to the
   * first, so that a user moving to a new stack (when the number of stacks grows) is adopted
   * there before the old stack removes it.
   */
  public static fromUsersFile(scope: Construct, file: UsersFile, options: UsersFileStacksOptions = {}): UsersFileStacks {
    const sharding = assignStacks(file);
    const source = path.basename(file.path);
    // The groups stack is created only when the file declares managed groups; the user stacks whose
    // users join one depend on it (the QuickSightUser construct adds that dependency).
    const groupsStack = sharding.groupsStack && new QuickSightGroupsStack(scope, sharding.groupsStack.name, {
      ...options.stackProps,
      description: `QuickSight groups declared in ${source} (quicksight-user-cdk)`,
      groups: sharding.groupsStack.groups,
    });
    const stacks = sharding.stacks.map((shard) => new QuickSightUsersStack(scope, shard.name, {
      ...options.stackProps,
      description: `QuickSight users declared in ${source} (quicksight-user-cdk)`,
      users: shard.users,
      groups: file.groups,
      groupsStack,
    }));
    for (let i = 0; i + 1 < stacks.length; i++) {
      stacks[i].addStackDependency(stacks[i + 1], 'users moving to a later stack are adopted there before this stack removes them');
    }
    return { stacks, groupsStack, sharding };
  }

  /** The users this stack declares, by construct id. */
  public readonly users: Record<string, QuickSightUser> = {};

  constructor(scope: Construct, id: string, props: QuickSightUsersStackProps) {
    super(scope, id, props);
    if (props.users.length === 0) {
      // CloudFormation refuses a template without resources, and the provider's policy needs a
      // namespace to grant: a stack whose users have all gone holds this no-op placeholder.
      new CfnWaitConditionHandle(this, 'NoUsers');
    }
    const groupOf = this.groupResolver(props);
    const members = props.users.filter((u) => u.groups.length > 0).length;
    if (props.groups === undefined && members > 0) {
      // Without the file's groups, a name cannot say whether its group is this file's to create
      // or another's to refer to: nothing is declared rather than something wrong.
      Annotations.of(this).addWarningV2('quicksight-user-cdk:memberships-left-out',
        `${members} user${members === 1 ? '' : 's'} of this stack join groups, but the stack was given no groups: their memberships are left out. Pass the file's groups (UsersFile.groups), or build the stacks with QuickSightUsersStack.fromUsersFile.`);
    }
    for (const user of props.users) {
      const groups = props.groups === undefined ? [] : user.groups.map((name) => groupOf(user, name));
      this.users[user.constructId] = new QuickSightUser(this, user.constructId, constructPropsOf(user, groups));
    }
  }

  /**
   * The group object of each group a user names: from the groups stack, imported, or declared
   * here, once per group. Imports and groups declared here sit under a `Groups` scope, whose id
   * (no "@") cannot be a user's.
   */
  private groupResolver(props: QuickSightUsersStackProps): (user: DeclaredUser, name: string) => IQuickSightGroup {
    const declared = new Map((props.groups ?? []).map((g) => [g.key, g]));
    const resolved = new Map<string, IQuickSightGroup>();
    let scope: Construct | undefined;
    const here = () => (scope ??= new Construct(this, 'Groups'));
    return (user, name) => {
      const { AwsAccountId: awsAccountId, IdentityRegion: identityRegion, Namespace: namespace } = user.spec;
      const key = [awsAccountId, identityRegion, namespace, name].join('|');
      const known = resolved.get(key);
      if (known) return known;
      const group = declared.get(key);
      let result: IQuickSightGroup;
      if (group === undefined) {
        throw new Error(`QuickSightUsersStack ${this.node.path}: user '${user.userName}' joins group '${name}', which props.groups does not declare in namespace '${namespace}' of account ${awsAccountId} (${identityRegion}): pass the file's groups (UsersFile.groups)`);
      } else if (!group.managed) {
        result = QuickSightGroup.fromGroupName(here(), group.constructId, name, { namespace, awsAccountId, identityRegion });
      } else if (props.groupsStack !== undefined) {
        const fromStack = props.groupsStack.groups[group.constructId];
        if (!fromStack) throw new Error(`QuickSightUsersStack ${this.node.path}: group '${name}' (user '${user.userName}') is not in ${props.groupsStack.stackName}: build the groups stack from the same file`);
        result = fromStack;
      } else {
        result = new QuickSightGroup(here(), group.constructId, groupPropsOf(group));
      }
      resolved.set(key, result);
      return result;
    };
  }
}

/** The construct's props for a declared group. */
export function groupPropsOf(group: DeclaredGroup): QuickSightGroupProps {
  const { spec } = group;
  return {
    groupName: spec.GroupName,
    description: spec.Description,
    namespace: spec.Namespace,
    awsAccountId: spec.AwsAccountId,
    identityRegion: spec.IdentityRegion,
    removalPolicy: group.removalPolicy === UserRemovalPolicy.RETAIN ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    adoptExistingGroup: group.adoptExistingGroup,
  };
}

/** The construct's props for a declared user, with the group objects of its `groups`. */
export function constructPropsOf(user: DeclaredUser, groups: IQuickSightGroup[] = []): QuickSightUserProps {
  const { spec } = user;
  return {
    awsAccountId: spec.AwsAccountId,
    identityRegion: spec.IdentityRegion,
    namespace: spec.Namespace,
    email: spec.Email,
    identityType: spec.IdentityType as IdentityType,
    role: spec.UserRole as UserRole,
    userName: spec.UserName,
    iamArn: spec.IamArn,
    sessionName: spec.SessionName,
    customPermissionsName: spec.CustomPermissionsName,
    externalLoginFederationProviderType: spec.ExternalLoginFederationProviderType as ExternalLoginFederationProviderType | undefined,
    customFederationProviderUrl: spec.CustomFederationProviderUrl,
    externalLoginId: spec.ExternalLoginId,
    tags: spec.Tags && Object.fromEntries(spec.Tags.map((t) => [t.Key, t.Value])),
    removalPolicy: user.removalPolicy === UserRemovalPolicy.RETAIN ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    adoptExistingUser: user.adoptExistingUser,
    stackOutputs: user.stackOutputs,
    groups: groups.length > 0 ? groups : undefined,
  };
}

/** A stack of a synthesized assembly that breaks a CloudFormation limit. */
export interface LimitViolation {
  readonly stackName: string;
  readonly message: string;
}

/**
 * Counts every synthesized template against CloudFormation's limits: the guarantee behind the
 * estimates sharding.ts assigns users with.
 */
export function checkStackLimits(assembly: CloudAssembly): LimitViolation[] {
  return assembly.stacks.flatMap((stack) => {
    const cost = templateCost(fs.readFileSync(path.join(assembly.directory, stack.templateFile), 'utf8'));
    const broken = brokenLimits(cost);
    return broken.length === 0 ? [] : [{ stackName: stack.stackName, message: `${stack.stackName} has ${broken.map((l) => describeLimit(l, cost)).join(' and ')}: pin a larger \`stacks:\` in the users file` }];
  });
}
