// The example app's template as CloudFormation would take it: cfn-lint (AWS's linter) finds no
// error in it. W3005 (a DependsOn that a GetAtt already implies) is how aws-cdk-lib writes every
// Lambda function's dependency on its role policy, so it is the one warning let through.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ExampleUsersStack } from '../bin/example-stack';

function lint(templateFile: string): { status: number; output: string } {
  try {
    return { status: 0, output: execFileSync('cfn-lint', ['--ignore-checks', 'W3005', '--', templateFile], { encoding: 'utf8' }) };
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string; code?: string };
    if (e.code === 'ENOENT') throw new Error('cfn-lint is not installed: pip install cfn-lint');
    return { status: e.status ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

test.each([
  ['env-agnostic', {}],
  ['with account and identity region', { awsAccountId: '123456789012', identityRegion: 'us-east-1' }],
])('the example template passes cfn-lint (%s)', (_name, props) => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'quicksight-users-'));
  const app = new App({ outdir });
  new ExampleUsersStack(app, 'QuickSightUsers', props);
  app.synth();
  const result = lint(path.join(outdir, 'QuickSightUsers.template.json'));
  expect(result).toEqual({ status: 0, output: '' });
});

test('a broken template does fail cfn-lint (the check is live)', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'broken-')), 'broken.template.json');
  fs.writeFileSync(file, JSON.stringify({ Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs0.x' } } } }));
  expect(lint(file).status).not.toBe(0);
});
