#!/usr/bin/env node
// Runs the reliability tests (the same ones `npm test` runs: scenario matrix, faults, fuzz,
// security, the model-based lifecycle sequences) with RELIABILITY_FIGURES_DIR set, then prints
// the figures they measured.
//
//   npm run reliability               # a plain-text summary
//   npm run reliability -- --markdown # the table docs/RELIABILITY.md carries
//   npm run reliability -- --long     # the lifecycle model runs seed after seed for MODEL_MINUTES
//                                     # (default 15): thousands of operations
//
// Exits non-zero when a test fails (the figures measured are printed all the same), or when a
// figure that must be 0 is not.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const TEST_FILES = ['test/scenarios.test.ts', 'test/scenarios-groups.test.ts', 'test/faults.test.ts', 'test/fuzz.test.ts', 'test/security.test.ts', 'test/lifecycle-model.test.ts'];
const markdown = process.argv.includes('--markdown');
const long = process.argv.includes('--long');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quicksight-reliability-'));
const started = Date.now();
const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest', { paths: [root] }), '--silent', ...TEST_FILES], {
  cwd: root,
  env: { ...process.env, RELIABILITY_FIGURES_DIR: dir, ...(long ? { MODEL_LONG: '1' } : {}) },
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});
const seconds = Math.round((Date.now() - started) / 1000);
const summary = /Tests:\s+(.*)/.exec(jest.stderr ?? '')?.[1] ?? 'no summary';
if (jest.status !== 0) {
  process.stderr.write(jest.stderr);
  process.stderr.write(`\nThe reliability tests failed (${summary}); the figures they measured follow.\n\n`);
}

const read = (name) => {
  const file = path.join(dir, `${name}.json`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: did ${name}.test.ts run?`);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
};
const scenarios = read('scenarios');
const groups = read('scenarios-groups');
const faults = read('faults');
const fuzz = read('fuzz');
const security = read('security');
const model = read('lifecycle-model');
fs.rmSync(dir, { recursive: true, force: true });

const sum = (record) => Object.values(record).reduce((a, b) => a + b, 0);
const list = (record) => Object.entries(record).map(([k, v]) => `${v} ${k}`).join(', ');
const rows = [
  ['Scenarios (CloudFormation lifecycle, real construct and handler, emulator over HTTP)', `${scenarios.scenarios} passed`],
  ['Events driven in the scenarios', `${scenarios.events} (${list(scenarios.eventsByAnswer)})`],
  ['Users lost / leaked / drifted / re-registered in the scenarios', `${scenarios.lost} / ${scenarios.leaked} / ${scenarios.drifted} / ${scenarios.reRegistered}`],
  ['Group and membership scenarios (IAM enforced, every group\'s members asserted)', `${groups.scenarios} passed, ${groups.events} events, ${groups.callsUnderIam} calls checked against the policy`],
  ['Handler log lines checked for emails and invitation URLs', `${scenarios.handlerLogLines + groups.handlerLogLines}, none found`],
  ['Fault runs (throttling storm, 500, 503, dropped, slow, all at once, outage)', `${faults.runs} passed`],
  ['Events driven under faults', `${faults.events} (${faults.failedEvents} FAILED with a clear reason, none unanswered; slowest ${Math.round(faults.slowestEventMs)} ms)`],
  ['Faults injected', `${sum(faults.faults)} (${list(faults.faults)})`],
  ['Users lost / leaked after the faults', `${faults.lost} / ${faults.leaked}`],
  ['Fuzz cases: construct props', `${fuzz.constructCases} (${fuzz.constructValid} valid templates, ${fuzz.constructRejected} clear errors)`],
  ['Fuzz cases: raw CloudFormation events', `${fuzz.eventCases} (${fuzz.eventSucceeded} succeeded, ${fuzz.eventFailed} FAILED; largest FAILED response ${fuzz.largestFailedResponseBytes} of 4096 bytes)`],
  ['Requests breaking QuickSight\'s model that reached it / users outside their namespace', `${fuzz.modelViolationsReachingQuickSight} / ${fuzz.usersOutsideTheirNamespace}`],
  ['cdk-nag AwsSolutions findings left', `${security.nagFindingsLeft} on ${security.nagAppsChecked} apps (${security.acknowledgementsOnTheExampleApp} narrow acknowledgements on the example app)`],
  ['IAM policies checked / templates through cfn-lint here', `${security.policiesChecked} / ${security.cfnLintTemplates}`],
  [`Model-based lifecycle sequences (fast-check, ${model.mode} mode: seeds ${model.seeds}, up to ${model.maxCommands} commands each)`,
    `${model.sequences} sequences, ${model.commands} commands, ${model.stackOperations} stack operations`],
  ['Model: deployments (succeeded / rolled back, of which refusals) / stack deletes',
    `${model.deployments} (${model.succeeded} / ${model.rollbacks}, ${model.refusalsPredicted} refused as predicted) / ${model.stackDeletes}`],
  ['Model: events / replayed / fault windows (faults injected) / outside edits',
    `${model.events} / ${model.replayedEvents} / ${model.faultWindows} (${sum(model.faultsInjected)}: ${list(model.faultsInjected) || 'none'}) / ${sum(model.outsideEdits)} (${list(model.outsideEdits)})`],
  ['Model: counterexamples found / users lost / cleanup Deletes failed (reported)',
    `${model.counterexamples} / ${model.usersLost} / ${model.cleanupDeletesFailed + model.registrationsNotUndone}`],
];

if (markdown) {
  console.log('| figure | value |\n|---|---|');
  for (const [name, value] of rows) console.log(`| ${name} | ${value} |`);
  console.log(`\n${summary}, in ${seconds} s (node ${process.version}).`);
} else {
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`Reliability figures (${summary}, ${seconds} s)\n`);
  for (const [name, value] of rows) console.log(`  ${name.padEnd(width)}  ${value}`);
}

const mustBeZero = { 'scenario users lost': scenarios.lost, 'scenario users leaked': scenarios.leaked, 'scenario users drifted': scenarios.drifted,
  'users re-registered': scenarios.reRegistered, 'users lost under faults': faults.lost, 'users leaked under faults': faults.leaked,
  'model violations': fuzz.modelViolationsReachingQuickSight, 'users outside their namespace': fuzz.usersOutsideTheirNamespace, 'cdk-nag findings': security.nagFindingsLeft,
  'lifecycle model counterexamples': model.counterexamples, 'users lost in the lifecycle model': model.usersLost };
const broken = Object.entries(mustBeZero).filter(([, v]) => v !== 0);
if (broken.length > 0) {
  console.error(`\nNot zero: ${broken.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const c of model.counterexampleDetails ?? []) console.error(`\nLifecycle model counterexample (seed ${c.seed}):\n${c.error}`);
  process.exit(1);
}
if (jest.status !== 0) process.exit(jest.status ?? 1);
