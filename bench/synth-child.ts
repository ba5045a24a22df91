// One synth timing, run in a fresh `node` process by synth-time.ts so that no run warms the next:
//   node dist/bench/synth-child.js <ours|acr> <users> <validation: on|off>
// Prints {"synthMs": …} as its last stdout line. The clock starts after aws-cdk-lib is imported
// (Node start-up is not counted) and stops when app.synth() returns: it covers building the
// construct tree, the CDK's lazy module loading, asset staging and writing cdk.out, and with
// validation on, the CDK's built-in CloudFormation validation (on by default in aws-cdk-lib
// 2.276, as for any `cdk synth`). Users have no stack outputs (450 users would need 900).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildStack, standardUsers, WAYS, type Way } from './ways';

function main(): void {
  const [way, usersArg, validationArg] = process.argv.slice(2);
  const users = Number(usersArg);
  if (!WAYS.includes(way as Way) || !Number.isInteger(users) || users < 1 || !['on', 'off'].includes(validationArg)) {
    throw new Error(`usage: synth-child.js <${WAYS.join('|')}> <users> <validation: on|off> (got ${process.argv.slice(2).join(' ')})`);
  }
  const declared = standardUsers(users);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-bench-synth-'));
  try {
    const started = performance.now();
    const { app } = buildStack(way as Way, declared, { outputs: false, resourceLimitCheck: false, builtinValidation: validationArg === 'on', outdir });
    app.synth();
    const synthMs = performance.now() - started;
    process.stdout.write(`\n${JSON.stringify({ synthMs })}\n`);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

main();
