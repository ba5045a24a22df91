// `quicksight-users validate` (in-process) on a users file with groups: the groups counted, the
// groups stack named; an undeclared group refused with its line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT, run } from '../gitops/cli/program';
import { tempDir } from './export-harness';

let dir: string;
beforeAll(() => {
  dir = tempDir('qs-validate-groups-');
  fs.writeFileSync(path.join(dir, 'users.yaml'), `defaults:
  awsAccountId: '123456789012'
  identityRegion: us-east-1
  role: READER
groups:
  - {groupName: analysts}
  - {groupName: finance, removalPolicy: retain}
  - {groupName: admins, managed: false}
users:
  - {userName: alice, identityType: QUICKSIGHT, email: alice@corp.test, groups: [analysts, admins]}
  - {userName: bob, identityType: QUICKSIGHT, email: bob@corp.test}
`);
  fs.writeFileSync(path.join(dir, 'elsewhere.yaml'), `defaults: {awsAccountId: '123456789012', identityRegion: us-east-1, role: READER}
groups: [{groupName: admins, managed: false}]
users: [{userName: alice, identityType: QUICKSIGHT, email: alice@corp.test, groups: [admins]}]
`);
  fs.writeFileSync(path.join(dir, 'undeclared.yaml'), `defaults: {awsAccountId: '123456789012', identityRegion: us-east-1, role: READER}
users:
  - {userName: alice, identityType: QUICKSIGHT, email: alice@corp.test, groups: [analysts]}
`);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, cwd: dir });
  return { code, stdout, stderr };
}

test('a file with groups: the groups, managed and not, and the groups stack among the stacks', async () => {
  expect(await cli('validate')).toEqual({
    code: EXIT.OK,
    stdout: 'users.yaml: valid: 2 users (2 QUICKSIGHT) in 1 namespace of 123456789012 (us-east-1); 3 groups (2 managed, 1 managed elsewhere); 2 stacks: QuickSightUsers, QuickSightUsers-groups\n',
    stderr: '',
  });
  expect((await cli('validate', '--file', 'elsewhere.yaml')).stdout).toBe('elsewhere.yaml: valid: 1 user (1 QUICKSIGHT) in 1 namespace of 123456789012 (us-east-1); 1 group (1 managed elsewhere); 1 stack: QuickSightUsers\n');
});

test('a group a user names but the file does not declare: exit 1, with the line and the fix', async () => {
  expect(await cli('validate', '--file', 'undeclared.yaml')).toEqual({
    code: EXIT.ERROR,
    stdout: '',
    stderr: "undeclared.yaml has 1 error:\nundeclared.yaml:3:82: user 'alice': group 'analysts' is not declared in namespace 'default' of account 123456789012 (us-east-1): declare it in the file's top-level `groups` list (with `managed: false` if it exists in QuickSight and is managed elsewhere), or take it out of the user's `groups`\n",
  });
});
