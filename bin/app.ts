#!/usr/bin/env node
// The example app: a few QuickSight users of each identity type, in one env-agnostic stack, so that
// `npx cdk synth` prints a real template on a fresh clone with no AWS account and no credentials.
//   -c identityRegion=us-east-1   the QuickSight identity region (default: the stack's region)
//   -c account=123456789012       the AWS account of the QuickSight account (default: the stack's)
import { App, Stack, Tags } from 'aws-cdk-lib';
import { ExternalLoginFederationProviderType, IdentityType, QuickSightUser, UserRole } from '../lib';

const app = new App();
const identityRegion: string | undefined = app.node.tryGetContext('identityRegion');
const awsAccountId: string | undefined = app.node.tryGetContext('account');

const stack = new Stack(app, 'QuickSightUsers', {
  description: 'QuickSight users managed as code (quicksight-user-cdk example)',
});
Tags.of(stack).add('managed-by', 'quicksight-user-cdk');
const where = { identityRegion, awsAccountId };

new QuickSightUser(stack, 'Alice', {
  ...where,
  identityType: IdentityType.QUICKSIGHT,
  userName: 'alice',
  email: 'alice@example.com',
  role: UserRole.AUTHOR,
  tags: { team: 'finance' },
});

new QuickSightUser(stack, 'Bob', {
  ...where,
  identityType: IdentityType.IAM,
  iamArn: 'arn:aws:iam::123456789012:user/bob',
  email: 'bob@example.com',
  role: UserRole.READER,
});

new QuickSightUser(stack, 'AnalystSession', {
  ...where,
  identityType: IdentityType.IAM,
  iamArn: 'arn:aws:iam::123456789012:role/QuickSightAnalysts',
  sessionName: 'carol',
  email: 'carol@example.com',
  role: UserRole.AUTHOR_PRO,
  externalLoginFederationProviderType: ExternalLoginFederationProviderType.CUSTOM_OIDC,
  customFederationProviderUrl: 'https://login.example.com',
  externalLoginId: 'carol-42',
});

new QuickSightUser(stack, 'Dave', {
  ...where,
  identityType: IdentityType.IAM_IDENTITY_CENTER,
  userName: 'dave@example.com',
  email: 'dave@example.com',
  role: UserRole.ADMIN,
  customPermissionsName: 'NoDataSourceCreation',
});
