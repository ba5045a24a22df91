// A stack deployed through the CloudFormation simulator with IAM enforced: the scenario matrices
// (users, groups) deploy this way.
import type { Stack } from 'aws-cdk-lib';
import { CloudFormationSimulator, type DeployOptions, type EventRecord, type SimulatorOptions, type Template } from '../cfn-simulator';
import type { PolicyStatement } from '../emulator/iam';
import type { QuickSightEmulator } from '../emulator/quicksight-emulator';
import { DEFAULT_PSEUDO, handlerPolicyOf } from '../security/handler-policy';
import { synth } from './stacks';

/** Where a matrix collects what it checks at its end: the handler's log lines and every event sent. */
export interface MatrixRecord {
  readonly logLines: string[];
  readonly events: EventRecord[];
}

export class EnforcedDeployer {
  public readonly cfn: CloudFormationSimulator;
  /** The handler role's policy of the template deployed last. */
  private policy?: PolicyStatement[];

  constructor(private readonly emulator: () => QuickSightEmulator, private readonly record: MatrixRecord, options: SimulatorOptions = {}) {
    this.cfn = new CloudFormationSimulator({ budgetMs: 10_000, log: (line) => record.logLines.push(line), ...options });
  }

  /**
   * Deploys with IAM enforced: every call the handler makes is checked against the policy its own
   * synthesized template grants (CloudFormation updates the role's policy before the resources, so
   * the new template's policy holds for the whole operation, cleanup included).
   */
  public async deploy(build: ((stack: Stack) => void) | Template, options: DeployOptions = {}) {
    const template = typeof build === 'function' ? synth(build, { stackName: this.cfn.stackName }) : build;
    this.policy = handlerPolicyOf(template, { ...DEFAULT_PSEUDO, ...this.cfn.pseudo });
    this.emulator().setPolicy(this.policy);
    const result = await this.cfn.deploy(template, options);
    this.record.events.push(...result.events);
    return result;
  }

  public async deleteStack() {
    this.emulator().setPolicy(this.policy);
    const result = await this.cfn.deleteStack();
    this.record.events.push(...result.events);
    return result;
  }
}
