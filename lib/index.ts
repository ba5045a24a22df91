// The construct library: what a CDK app imports, in any jsii language. The GitOps tool (users
// file, sharding, plan, drift) is not here: it is `quicksight-user-cdk/gitops` (gitops/index.ts).
export * from './quicksight-user';
export { ExternalLoginFederationProviderType, IdentityType, UserRole } from './model';
