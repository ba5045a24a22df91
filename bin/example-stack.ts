// The example users and groups (examples/users.yaml) as one stack, for the tests that synthesize
// the example app (cfn-lint, cdk-nag). `bin/app.ts` builds the same users from the same file with
// QuickSightUsersStack.fromUsersFile (the managed groups in a stack of their own); here the
// managed groups are declared in the users' stack.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { QuickSightUsersStack, readUsersFile, type UsersFile } from '../gitops';

/** examples/users.yaml, from the sources (bin/) or from the compiled app (dist/bin/). */
export const EXAMPLE_USERS_FILE = [path.join(__dirname, '..', 'examples', 'users.yaml'), path.join(__dirname, '..', '..', 'examples', 'users.yaml')]
  .find((file) => fs.existsSync(file)) ?? path.join('examples', 'users.yaml');

export interface ExampleUsersStackProps extends StackProps {
  /** The QuickSight identity region. @default - the example file's (us-east-1) */
  readonly identityRegion?: string;
  /** The account of the QuickSight account. @default - the example file's (123456789012) */
  readonly awsAccountId?: string;
}

/** The example file, with the account and identity region given replacing its defaults. */
export function readExampleUsers(props: Pick<ExampleUsersStackProps, 'identityRegion' | 'awsAccountId'> = {}): UsersFile {
  return readUsersFile(EXAMPLE_USERS_FILE, { awsAccountId: props.awsAccountId, identityRegion: props.identityRegion });
}

export class ExampleUsersStack extends QuickSightUsersStack {
  constructor(scope: Construct, id: string, props: ExampleUsersStackProps = {}) {
    const { identityRegion, awsAccountId, ...stackProps } = props;
    const file = readExampleUsers({ identityRegion, awsAccountId });
    super(scope, id, {
      description: 'QuickSight users and groups declared in users.yaml (quicksight-user-cdk)',
      ...stackProps,
      users: file.users,
      groups: file.groups,
    });
  }
}
