// The construct library: what a CDK app imports, in any jsii language (TypeScript, Python, Java,
// C#, Go). Everything exported here is in the .jsii assembly, and nothing else is: the GitOps tool
// (users file, sharding, plan, drift) is `quicksight-user-cdk/gitops` (gitops/index.ts), and the
// rules of lib/model.ts stay internal (the handler and the tool import them from that file).
export { QuickSightUser, type IQuickSightUser, type QuickSightUserImportOptions, type QuickSightUserProps } from './quicksight-user';
export { ExternalLoginFederationProviderType, IdentityType, UserRole } from './model';
export {
  QuickSightGroup, QuickSightGroupMembership, type IQuickSightGroup, type QuickSightGroupImportOptions, type QuickSightGroupMembershipProps,
  type QuickSightGroupProps,
} from './quicksight-group';
