#!/usr/bin/env node
// The app: the QuickSight users of a users file, in as many stacks as CloudFormation's limits
// need, and its managed groups in a stack of their own (QuickSightUsers-groups) that the user
// stacks with members deploy after. `npx cdk synth` works on a fresh clone, with no AWS account.
//   -c usersFile=path/to/users.yaml   the users file (default: examples/users.yaml)
//   -c identityRegion=us-east-1       replaces the file's default identity region
//   -c account=123456789012           replaces the file's default account
import { App } from 'aws-cdk-lib';
import { checkStackLimits, QuickSightUsersStack, readUsersFile, ShardingError, UsersFileError } from '../gitops';
import { EXAMPLE_USERS_FILE } from './example-stack';

function main(): void {
  const app = new App();
  const context = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const file = readUsersFile(context('usersFile') ?? EXAMPLE_USERS_FILE, {
    awsAccountId: context('account'),
    identityRegion: context('identityRegion'),
    origin: '-c account / -c identityRegion',
  });
  QuickSightUsersStack.fromUsersFile(app, file);
  // The sharding works from estimates; the synthesized templates are the proof.
  const violations = checkStackLimits(app.synth());
  if (violations.length > 0) throw new ShardingError(violations.map((v) => v.message).join('\n'));
}

try {
  main();
} catch (error) {
  if (!(error instanceof UsersFileError || error instanceof ShardingError)) throw error;
  // The message already says where and what: a stack trace would only bury it.
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
