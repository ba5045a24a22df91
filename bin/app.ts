#!/usr/bin/env node
// The example app: `npx cdk synth` prints a real template on a fresh clone, with no AWS account.
//   -c identityRegion=us-east-1   the QuickSight identity region (default: the stack's region)
//   -c account=123456789012       the AWS account of the QuickSight account (default: the stack's)
import { App } from 'aws-cdk-lib';
import { ExampleUsersStack } from './example-stack';

const app = new App();
new ExampleUsersStack(app, 'QuickSightUsers', {
  identityRegion: app.node.tryGetContext('identityRegion'),
  awsAccountId: app.node.tryGetContext('account'),
});
