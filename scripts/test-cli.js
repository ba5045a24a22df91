#!/usr/bin/env node
// The installed command line (`npm run test:cli`, CI runs it): packs this package as npm would
// publish it, installs the tarball into an empty project in a temporary folder, and runs
// `npx quicksight-users` there as a user would: --help, --version, a usage error, each
// subcommand's help, and export, validate, drift and plan with each exit code, against an emulated
// account served from its own process (test/emulator/serve-account.ts, bundled with esbuild).
// The peer dependencies (aws-cdk-lib, constructs) are left out of the install (--omit=peer): the
// command line must not need them. Needs a build (npm run build); takes about a minute.
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createInterface } = require('node:readline');

const root = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const checks = [];
const check = (name, ok, detail = '') => {
  checks.push({ name, ok });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
};
const quietNpm = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

function run(command, args, cwd) {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: quietNpm });
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
}

/** The emulated account, in its own process; resolves to its endpoints once it serves. */
function serveAccount(script) {
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the emulated account exited (${code}) before serving`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, ...JSON.parse(line) }));
  });
}

async function main() {
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'quicksight-users-cli-'));
let server;
try {
  for (const built of ['dist/gitops/cli/main.js', 'dist/lib/model.js']) {
    if (!fs.existsSync(path.join(root, built))) throw new Error(`${built} is missing: run npm run build first`);
  }
  const [packed] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root));
  const tarball = path.join(work, packed.filename);
  const shipped = packed.files.map((f) => f.path);
  console.log(`packed ${packed.filename}: ${(packed.size / 1024 / 1024).toFixed(1)} MiB (${seconds()})`);
  check('the tarball ships the command line as compiled JavaScript, and package.json names it in "bin"',
    shipped.includes('dist/gitops/cli/main.js') && shipped.includes('dist/gitops/cli/program.js') && pkg.bin['quicksight-users'] === 'dist/gitops/cli/main.js'
    && fs.readFileSync(path.join(root, 'dist/gitops/cli/main.js'), 'utf8').startsWith('#!/usr/bin/env node\n'));
  check('the tarball bundles the command line\'s dependencies', ['commander', '@aws-sdk/client-iam', '@aws-sdk/client-sts', '@aws-sdk/client-quicksight', 'yaml', 'zod'].every((d) => packed.bundled.includes(d)), packed.bundled.join(', '));

  const app = path.join(work, 'project');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'empty-project', private: true }, null, 2));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=peer', tarball], app);
  console.log(`installed into an empty project, peer dependencies left out (${seconds()})`);
  check('aws-cdk-lib is not installed (the command line must not need it)', !fs.existsSync(path.join(app, 'node_modules', 'aws-cdk-lib')));

  // The emulated account, served from its own process.
  const script = path.join(work, 'serve-account.js');
  run(path.join(root, 'node_modules', '.bin', 'esbuild'), [path.join(root, 'test', 'emulator', 'serve-account.ts'), '--bundle', '--platform=node', '--log-level=warning', `--outfile=${script}`], root);
  server = await serveAccount(script);
  const account = server;
  const env = {
    ...quietNpm,
    AWS_ENDPOINT_URL_QUICKSIGHT: account.quicksight, AWS_ENDPOINT_URL_IAM: account.iam, AWS_ENDPOINT_URL_STS: account.iam,
    AWS_ACCESS_KEY_ID: 'AKIAEMULATOR', AWS_SECRET_ACCESS_KEY: 'emulator-secret', AWS_REGION: 'us-east-1',
  };
  delete env.AWS_PROFILE;
  const cli = (...args) => {
    const result = spawnSync('npx', ['quicksight-users', ...args], { cwd: app, env, encoding: 'utf8' });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  const help = cli('--help');
  check('npx quicksight-users --help: exit 0, the usage on stdout', help.code === 0 && help.stdout.startsWith('Usage: quicksight-users [options] [command]') && help.stdout.includes('Exit codes:'), `exit ${help.code}`);
  const version = cli('--version');
  check('--version: the package version', version.code === 0 && version.stdout.trim() === pkg.version, version.stdout.trim());
  for (const command of ['validate', 'plan', 'drift', 'export']) {
    const sub = cli(command, '--help');
    check(`${command} --help: exit 0`, sub.code === 0 && sub.stdout.startsWith(`Usage: quicksight-users ${command} [options]`), `exit ${sub.code}`);
  }
  const unknown = cli('plan', '--bogus');
  check('an unknown option: exit 1, the error on stderr', unknown.code === 1 && unknown.stdout === '' && unknown.stderr.startsWith("error: unknown option '--bogus'"), unknown.stderr.split('\n')[0]);
  const missing = cli('drift', '--format');
  check('a missing value: exit 1', missing.code === 1 && missing.stderr.startsWith("error: option '--format <format>' argument missing"), missing.stderr.split('\n')[0]);

  // export, with no --account (STS) and no --identity-region (AWS_REGION): the account's users file.
  const exported = cli('export', '--output', 'users.yaml');
  check('export --output users.yaml: exit 0, the summary and the N/A user on stderr, nothing on stdout',
    exported.code === 0 && exported.stdout === '' && /^wrote users\.yaml: 5 users of account 123456789012 \(us-east-1\) in 2 namespaces;/.test(exported.stderr)
    && exported.stderr.includes('federated/iam/AIDAGONE0000000000001'), exported.stderr.split('\n')[0]);
  const text = fs.existsSync(path.join(app, 'users.yaml')) ? fs.readFileSync(path.join(app, 'users.yaml'), 'utf8') : '';
  check('the exported file has the IAM role session with its path', text.includes('  - iamArn: arn:aws:iam::123456789012:role/bi/Analysts\n    sessionName: carol\n'));
  const piped = cli('export');
  check('export to stdout: the same bytes (results on stdout, the rest on stderr)', piped.code === 0 && piped.stdout === text);

  const valid = cli('validate');
  check('validate (users.yaml): exit 0', valid.code === 0 && valid.stdout.startsWith('users.yaml: valid: 5 users'), valid.stdout.trim());
  const drift = cli('drift');
  check('drift of the exported file: exit 0, no drift; the N/A user a warning on stderr',
    drift.code === 0 && drift.stdout.includes('No drift (5 declared') && drift.stderr.startsWith('warning: 1 QuickSight user is named N/A'), `exit ${drift.code}`);

  fs.writeFileSync(path.join(app, 'more.yaml'), `${text}  - userName: zed\n    identityType: QUICKSIGHT\n    email: zed@example.com\n`);
  const drifted = cli('drift', '--file', 'more.yaml', '--format', 'json');
  let report;
  try { report = JSON.parse(drifted.stdout); } catch { report = undefined; }
  check('drift of a file declaring a user QuickSight lacks: exit 2, JSON on stdout', drifted.code === 2 && report?.items?.[0]?.kind === 'missing', `exit ${drifted.code}`);
  check('plan of a file against itself: exit 0 with --detailed-exitcode', cli('plan', 'users.yaml', 'users.yaml', '--detailed-exitcode').code === 0);
  check('plan with an added user: exit 2 with --detailed-exitcode', cli('plan', 'users.yaml', 'more.yaml', '--detailed-exitcode').code === 2);
  const destructive = cli('plan', 'more.yaml', 'users.yaml', '--fail-on-destructive');
  check('plan removing a user: exit 3 with --fail-on-destructive', destructive.code === 3 && destructive.stderr === '1 destructive change (--fail-on-destructive)\n', `exit ${destructive.code}`);
  fs.writeFileSync(path.join(app, 'broken.yaml'), text.replace("awsAccountId: '123456789012'", "awsAccountId: '1234'"));
  const broken = cli('validate', '--file', 'broken.yaml');
  check('validate of an invalid file: exit 1, the rule on stderr', broken.code === 1 && broken.stderr.startsWith('broken.yaml has 1 error:'), broken.stderr.split('\n')[0]);
  console.log(`ran the command line (${seconds()})`);
} catch (error) {
  check('command line run', false, error.message);
} finally {
  server?.child.kill();
  fs.rmSync(work, { recursive: true, force: true });
}

const failed = checks.filter((c) => !c.ok).length;
console.log(`cli: ${checks.length - failed} passed, ${failed} failed (${seconds()})`);
process.exitCode = failed > 0 ? 1 : 0;
}

main();

