export * from './quicksight-user';
export { ExternalLoginFederationProviderType, IdentityType, UserRole } from './model';
export { QuickSightUsersStack, type QuickSightUsersStackProps, type UsersFileStacks, type UsersFileStacksOptions } from './users-app';
export { parseUsersFile, readUsersFile, UserRemovalPolicy, UsersFileError, type DeclaredUser, type UsersFile, type UsersFileIssue, type UsersFileOverrides } from './users-file';
