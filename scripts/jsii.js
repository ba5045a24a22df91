#!/usr/bin/env node
// Compiles the construct library (lib/, see tsconfig.jsii.json) with jsii into the .jsii assembly
// and dist/lib, then fails on any jsii warning that is not one of the explained ones below: a new
// warning (a reserved word in a target language, a union, a struct that is not readonly...) is
// either fixed or explained here before it lands.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');

/** The warnings we keep, each with the reason it is harmless. */
const EXPLAINED = [
  {
    code: 'JSII6',
    label: 'peer dependency ranges below the devDependencies',
    message: /^A "peerDependency" on "(aws-cdk-lib|constructs)" at "\^[\d.]+" means you should take a "devDependency" on "\1" at "[\d.]+"/,
    why: 'the peer range starts at the oldest aws-cdk-lib and constructs the construct works with; the devDependencies are the current ones, ' +
      'which the whole test suite runs against, and CI runs the construct tests against the oldest too (scripts/test-min-cdk.sh)',
  },
  {
    code: 'JSII5018',
    label: '"namespace" is a C# keyword',
    message: /^"namespace" is a reserved word in C#\./,
    why: 'C# keywords are lowercase and the .NET binding names the property Namespace (as aws-cdk-lib\'s own namespace props); ' +
      'it is QuickSight\'s own term (RegisterUser\'s Namespace), and scripts/targets/check.js checks the generated names',
  },
];

const jsii = spawnSync(process.execPath, [require.resolve('jsii/bin/jsii'), ...process.argv.slice(2)], {
  cwd: root,
  encoding: 'utf8',
  // jsii colours its output on a terminal; plain text is what we parse.
  env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
});
// jsii prints a banner about Node versions it no longer supports; it says nothing about our code.
const output = `${jsii.stdout}${jsii.stderr}`.split('\n').filter((line) => !/^!!/.test(line)).join('\n');
if (jsii.status !== 0) {
  process.stderr.write(output);
  process.exit(jsii.status ?? 1);
}

const warnings = [...output.matchAll(/\bwarning (JSII\d+): (.*?)(?: \[[\w/-]+\])?$/gm)].map(([, code, message]) => ({ code, message }));
const unexplained = warnings.filter((w) => !EXPLAINED.some((e) => e.code === w.code && e.message.test(w.message)));
if (unexplained.length > 0) {
  process.stderr.write(output);
  process.stderr.write(`\njsii: ${unexplained.length} warning(s) not explained in scripts/jsii.js: fix them, or explain them there and in the README ("Developing").\n`);
  process.exit(1);
}
const known = EXPLAINED.filter((e) => warnings.some((w) => w.code === e.code && e.message.test(w.message)));
console.log(`jsii: .jsii assembly and dist/lib written; ${warnings.length} known warning(s)${known.map((e) => `\n  ${e.code} ${e.label}: ${e.why}`).join('')}`);
