// The GitOps tool, reached as `quicksight-user-cdk/gitops` (never through the main entry, which
// is the jsii construct library): the users file (users, groups and memberships), its stacks, the plan of a change and the drift
// of a live account, and the export of a live account as a users file (the command line,
// `quicksight-users`, is gitops/cli/). TypeScript only: free functions and zod-checked types that
// jsii cannot carry to other languages. The construct itself comes from the main entry, `quicksight-user-cdk`.
export {
  parseUsersFile, readUsersFile, formatFileIssue, DEFAULT_STACK_NAME, UserRemovalPolicy, UsersFileError,
  type DeclaredGroup, type DeclaredUser, type UsersFile, type UsersFileIssue, type UsersFileOverrides,
} from './users-file';
export {
  checkStackLimits, constructPropsOf, groupPropsOf, QuickSightGroupsStack, QuickSightUsersStack,
  type LimitViolation, type QuickSightGroupsStackProps, type QuickSightUsersStackProps, type UsersFileStacks, type UsersFileStacksOptions,
} from './users-app';
export {
  assignStacks, groupsStackNameOf, ShardingError, STACK_LIMITS, type GroupsStackAssignment, type Sharding, type StackAssignment, type StackCost,
} from './sharding';
export {
  ChangeKind, formatPlan, GroupChangeKind, planChange, PlanFormat,
  type FieldChange, type GroupChange, type Plan, type PlanSubject, type UserChange,
} from './plan';
export {
  detectDrift, DriftFormat, DriftKind, formatDrift, formatOrphanWarning, summarizeDrift,
  type DriftItem, type DriftOptions, type DriftReport, type FieldDrift, type OrphanedUser,
} from './drift';
export { exportUsers, type ExportOptions, type LeftOutGroup, type LeftOutUser, type UnconfirmedIamPath, type UsersExport } from './export';
export { SdkQuickSightReader, type QuickSightReader } from './read';
export { SdkIamReader, type IamIdentity, type IamReader } from './iam';
