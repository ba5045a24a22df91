// What the export tests share: the IAM/STS endpoint beside the QuickSight emulator, the CLI run
// in-process, and a users file deployed through the CloudFormation simulator as `cdk deploy --all`
// would deploy it (the groups stack first, as the user stacks depend on it, then the user stacks,
// the last one first, each with the handler policy its template grants enforced by the emulator).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { run } from '../gitops/cli/program';
import { QuickSightUsersStack } from '../gitops/users-app';
import { parseUsersFile } from '../gitops/users-file';
import { isMarkerTagKey } from '../lib/model';
import { CloudFormationSimulator, type DeployOptions, type OperationResult, type Template } from './cfn-simulator';
import { IamEndpoint } from './emulator/iam-endpoint';
import type { EmulatedUser, QuickSightEmulator } from './emulator/quicksight-emulator';
import { DEFAULT_PSEUDO, handlerPolicyOf } from './security/handler-policy';

/** Starts the IAM and STS endpoint for the test file and points the SDK at it. */
export function useIamEndpoint(accountId = '123456789012'): () => IamEndpoint {
  let endpoint: IamEndpoint | undefined;
  beforeAll(async () => {
    endpoint = await IamEndpoint.start({ accountId });
    process.env.AWS_ENDPOINT_URL_IAM = endpoint.endpoint;
    process.env.AWS_ENDPOINT_URL_STS = endpoint.endpoint;
  });
  afterAll(async () => {
    await endpoint?.stop();
  });
  beforeEach(() => endpoint?.reset());
  return () => endpoint!;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `quicksight-users <argv>` in-process, in `cwd`, at a fixed clock unless told otherwise. */
export async function cli(argv: string[], cwd: string, options: { now?: Date; stderrIsTTY?: boolean } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const now = options.now ?? new Date('2026-11-28T09:30:00Z');
  const code = await run(argv, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, cwd, now: () => now, stderrIsTTY: options.stderrIsTTY });
  return { code, stdout, stderr };
}

let outdir: string | undefined;

/** The handler's log lines of the deployments. */
export const handlerLog: string[] = [];

export interface Deployment {
  readonly stacks: CloudFormationSimulator[];
  readonly results: OperationResult[];
}

/**
 * Deploys a users file (its text) the way `cdk deploy --all` does: the groups stack (when the file
 * has managed groups) first, then every user stack, the last one first, until one fails (the
 * stacks after it are not deployed). Results in that order. `options` apply to the user stacks,
 * `groupsOptions` to the groups stack.
 */
export async function deployUsersFile(emulator: QuickSightEmulator, text: string, options: DeployOptions = {}, groupsOptions: DeployOptions = {}): Promise<Deployment> {
  outdir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'quicksight-users-export-'));
  const app = new App({ outdir });
  const { stacks, groupsStack } = QuickSightUsersStack.fromUsersFile(app, parseUsersFile(text, 'users.yaml'));
  const assembly = app.synth();
  const simulators: CloudFormationSimulator[] = [];
  const results: OperationResult[] = [];
  for (const stack of [...(groupsStack ? [groupsStack] : []), ...[...stacks].reverse()]) {
    const template = assembly.getStackByName(stack.stackName).template as Template;
    const cfn = new CloudFormationSimulator({ stackName: stack.stackName, budgetMs: 20_000, log: (line) => handlerLog.push(line) });
    emulator.setPolicy(handlerPolicyOf(template, { ...DEFAULT_PSEUDO, ...cfn.pseudo }));
    let result: OperationResult;
    try {
      result = await cfn.deploy(template, stack === groupsStack ? groupsOptions : options);
    } finally {
      emulator.setPolicy(undefined);
    }
    results.push(result);
    simulators.push(cfn);
    if (result.status !== 'CREATE_COMPLETE' && result.status !== 'UPDATE_COMPLETE') break;
  }
  return { stacks: simulators, results };
}

/** A user without the handler's tags (its owner marker and their kin): what an adoption must leave unchanged. */
export function withoutMarker(user: EmulatedUser): EmulatedUser {
  return { ...user, tags: Object.fromEntries(Object.entries(user.tags).filter(([key]) => !isMarkerTagKey(key))) };
}

/** The QuickSight calls made, by operation and status: `RegisterUser 409`. */
export function callTally(emulator: QuickSightEmulator): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const call of emulator.calls) {
    const key = `${call.operation} ${call.status}`;
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
