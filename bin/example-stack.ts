// The example users: one of each identity type, in one env-agnostic stack (no account, no
// credentials and no lookups needed to synthesize it).
import { Stack, StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ExternalLoginFederationProviderType, IdentityType, QuickSightUser, UserRole } from '../lib';

export interface ExampleUsersStackProps extends StackProps {
  /** The QuickSight identity region. @default - the stack's region */
  readonly identityRegion?: string;
  /** The account of the QuickSight account. @default - the stack's account */
  readonly awsAccountId?: string;
}

export class ExampleUsersStack extends Stack {
  constructor(scope: Construct, id: string, props: ExampleUsersStackProps = {}) {
    super(scope, id, { description: 'QuickSight users managed as code (quicksight-user-cdk example)', ...props });
    Tags.of(this).add('managed-by', 'quicksight-user-cdk');
    const where = { identityRegion: props.identityRegion, awsAccountId: props.awsAccountId };

    new QuickSightUser(this, 'Alice', {
      ...where,
      identityType: IdentityType.QUICKSIGHT,
      userName: 'alice',
      email: 'alice@example.com',
      role: UserRole.AUTHOR,
      tags: { team: 'finance' },
    });

    new QuickSightUser(this, 'Bob', {
      ...where,
      identityType: IdentityType.IAM,
      iamArn: 'arn:aws:iam::123456789012:user/bob',
      email: 'bob@example.com',
      role: UserRole.READER,
    });

    new QuickSightUser(this, 'AnalystSession', {
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

    new QuickSightUser(this, 'Dave', {
      ...where,
      identityType: IdentityType.IAM_IDENTITY_CENTER,
      userName: 'dave@example.com',
      email: 'dave@example.com',
      role: UserRole.ADMIN,
      customPermissionsName: 'NoDataSourceCreation',
    });
  }
}
