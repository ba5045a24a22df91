// A small emulated account served from its own process, for running the installed
// `quicksight-users` against it (scripts/test-cli.js): a QuickSight emulator holding a few users of
// every kind an IAM-and-QuickSight account holds (two namespaces, an IAM role session on a path, an
// IAM user, custom permissions, an external login, tags, a user named N/A), and the IAM/STS
// endpoint that knows their IAM identities. Prints {"quicksight", "iam", "accountId"} as one JSON
// line on stdout, then serves until SIGTERM or SIGINT.
//
//   npx esbuild test/emulator/serve-account.ts --bundle --platform=node --outfile=/tmp/serve-account.js
import { IamEndpoint, principalIdOf } from './iam-endpoint';
import { QuickSightEmulator } from './quicksight-emulator';

const ACCOUNT = '123456789012';

async function main(): Promise<void> {
  const quicksight = await QuickSightEmulator.start({ identityRegion: 'us-east-1', accountId: ACCOUNT, seed: 42 });
  const iam = await IamEndpoint.start({ accountId: ACCOUNT });
  const analysts = iam.addRole({ name: 'Analysts', path: '/bi/' });
  const bob = iam.addUser({ name: 'bob', path: '/engineering/' });
  const put = (seed: Parameters<QuickSightEmulator['putUser']>[0]) => quicksight.putUser(seed);
  put({ accountId: ACCOUNT, userName: 'alice', identityType: 'QUICKSIGHT', email: 'alice@example.com', role: 'AUTHOR', tags: { team: 'finance' } });
  put({ accountId: ACCOUNT, userName: 'dave', identityType: 'QUICKSIGHT', email: 'dave@example.com', role: 'ADMIN', customPermissionsName: 'NoDataSourceCreation' });
  put({ accountId: ACCOUNT, userName: 'bob', identityType: 'IAM', email: 'bob@example.com', role: 'READER', iamArn: bob.arn, principalId: principalIdOf(bob) });
  put({
    accountId: ACCOUNT, userName: 'Analysts/carol', identityType: 'IAM', email: 'carol@example.com', role: 'AUTHOR', iamArn: analysts.arn, sessionName: 'carol', principalId: principalIdOf(analysts, 'carol'),
    externalLoginFederationProviderType: 'CUSTOM_OIDC', externalLoginFederationProviderUrl: 'https://login.example.com', externalLoginId: 'carol-42',
  });
  put({ accountId: ACCOUNT, namespace: 'finance', userName: 'gina', identityType: 'QUICKSIGHT', email: 'gina@example.com', role: 'READER' });
  put({ accountId: ACCOUNT, userName: 'gone', identityType: 'IAM', email: 'gone@example.com', role: 'READER', principalId: 'federated/iam/AIDAGONE0000000000001' });
  quicksight.orphanUser(ACCOUNT, 'default', 'gone');

  const shutdown = () => void Promise.all([quicksight.stop(), iam.stop()]).then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  process.stdout.write(`${JSON.stringify({ quicksight: quicksight.endpoint, iam: iam.endpoint, accountId: ACCOUNT, pid: process.pid })}\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  });
}
