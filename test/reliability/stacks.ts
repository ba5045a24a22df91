// Templates synthesized from the real construct, one new App per deployment, as `cdk deploy` does.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, type Environment } from 'aws-cdk-lib';
import type { Template } from '../cfn-simulator';

/** One output folder per test process: the handler asset is staged once, not once per synth. */
let outdir: string | undefined;

export interface SynthOptions {
  readonly stackName?: string;
  /** The stack's environment; env-agnostic (Ref AWS::AccountId, AWS::Region) by default. */
  readonly env?: Environment;
}

/** Builds a stack with `build` in a new App and returns its synthesized template. */
export function synth(build: (stack: Stack) => void, options: SynthOptions = {}): Template {
  outdir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'quicksight-users-synth-'));
  const app = new App({ outdir });
  const stackName = options.stackName ?? 'QuickSightUsers';
  build(new Stack(app, stackName, { env: options.env }));
  return app.synth().getStackByName(stackName).template as Template;
}

/**
 * Builds several stacks in one new App (cross-stack references, stack dependencies) and returns
 * each stack's synthesized template by stack name.
 */
export function synthApp(build: (app: App) => void, stackNames: readonly string[]): Record<string, Template> {
  outdir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'quicksight-users-synth-'));
  const app = new App({ outdir });
  build(app);
  const assembly = app.synth();
  return Object.fromEntries(stackNames.map((name) => [name, assembly.getStackByName(name).template as Template]));
}
