export * from './quicksight-user';
export { ExternalLoginFederationProviderType, IdentityType, UserRole } from './model';
