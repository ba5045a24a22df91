#!/usr/bin/env node
// A consumer's view (`npm run test:consumer`, CI runs it): packs this package as npm would
// publish it, installs the tarball into an empty TypeScript CDK app in a temporary folder, and
// synthesizes users declared both ways, the construct from the main entry and a users file
// through the `quicksight-user-cdk/gitops` subpath. The app is type-checked twice: with the
// module settings `cdk init` writes today (NodeNext) and with the older CommonJS/node ones,
// which do not read package.json "exports" (typesVersions serves them the subpath's types).
// Needs a build (npm run build); takes one to two minutes, most of it npm pack and npm install.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const checks = [];
const check = (name, ok, detail = '') => {
  checks.push({ name, ok });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
};

function run(command, args, cwd) {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'quicksight-user-cdk-consumer-'));
try {
  for (const built of ['.jsii', 'dist/lib/index.js', 'dist/gitops/index.js', 'dist/assets/handler/index.js']) {
    if (!fs.existsSync(path.join(root, built))) throw new Error(`${built} is missing: run npm run build first`);
  }
  // The build is done: scripts would only rebuild it (npm pack runs "prepare").
  const [packed] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root));
  const tarball = path.join(work, packed.filename);
  const shipped = packed.files.map((f) => f.path).filter((p) => !p.startsWith('node_modules/'));
  console.log(`packed ${packed.filename}: ${(packed.size / 1024 / 1024).toFixed(1)} MiB, ${shipped.length} files of its own, bundled ${packed.bundled.join(', ')} (${seconds()})`);
  check('the tarball ships the assembly, the library, the tool and the handler bundle',
    ['.jsii', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/gitops/index.js', 'dist/gitops/index.d.ts', 'dist/assets/handler/index.js'].every((f) => shipped.includes(f)));
  check('the tarball ships no sources, tests, benchmarks or the repository app (bin/); the command line ships as dist/gitops/cli',
    !shipped.some((p) => /\.ts$/.test(p) && !p.endsWith('.d.ts')) && !shipped.some((p) => /^(dist\/)?(test|bench|lambda|bin)\//.test(p)),
    shipped.filter((p) => /^(dist\/)?(test|bench|lambda|bin)\//.test(p)).join(', '));

  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({
    name: 'consumer-app',
    private: true,
    dependencies: {
      'quicksight-user-cdk': `file:${tarball}`,
      'aws-cdk-lib': pkg.devDependencies['aws-cdk-lib'],
      constructs: pkg.devDependencies.constructs,
    },
    devDependencies: { typescript: pkg.devDependencies.typescript, '@types/node': pkg.devDependencies['@types/node'] },
  }, null, 2));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
  console.log(`installed into ${app} (${seconds()})`);

  fs.copyFileSync(path.join(root, 'examples', 'users.yaml'), path.join(app, 'users.yaml'));
  fs.writeFileSync(path.join(app, 'app.ts'), `import { App, Stack } from 'aws-cdk-lib';
import { IdentityType, QuickSightGroup, QuickSightUser, UserRole } from 'quicksight-user-cdk';
import { QuickSightUsersStack, readUsersFile } from 'quicksight-user-cdk/gitops';

const app = new App({ outdir: 'cdk.out' });

// The construct, from the main entry.
const stack = new Stack(app, 'ConstructUsers', { env: { account: '123456789012', region: 'us-east-1' } });
const readers = new QuickSightGroup(stack, 'Readers', { groupName: 'readers' });
new QuickSightUser(stack, 'Zoe', {
  identityType: IdentityType.QUICKSIGHT,
  userName: 'zoe',
  email: 'zoe@example.com',
  role: UserRole.AUTHOR,
  groups: [readers],
});

// A users file, through the GitOps subpath.
const { stacks } = QuickSightUsersStack.fromUsersFile(app, readUsersFile('users.yaml'));
console.log(\`users-file stacks: \${stacks.map((s) => s.stackName).join(', ')}\`);

app.synth();
`);
  const tsconfig = (module, moduleResolution, outDir) => ({
    compilerOptions: { target: 'ES2022', module, moduleResolution, lib: ['es2022'], strict: true, skipLibCheck: true, esModuleInterop: true, types: ['node'], outDir },
    files: ['app.ts'],
  });
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(tsconfig('NodeNext', 'NodeNext', 'build'), null, 2));
  fs.writeFileSync(path.join(app, 'tsconfig.node10.json'), JSON.stringify(tsconfig('commonjs', 'node', 'build-node10'), null, 2));
  const tsc = path.join(app, 'node_modules', 'typescript', 'bin', 'tsc');
  run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
  check('the app type-checks and compiles with NodeNext modules (what cdk init writes)', true);
  run(process.execPath, [tsc, '-p', 'tsconfig.node10.json'], app);
  check('the app type-checks with CommonJS/node10 resolution (older apps)', true);
  console.log(`compiled (${seconds()})`);

  const output = run(process.execPath, [path.join(app, 'build', 'app.js')], app);
  console.log(output.trim());
  const out = path.join(app, 'cdk.out');
  const templates = fs.readdirSync(out).filter((f) => f.endsWith('.template.json'));
  const ofType = (file, type) => Object.values(JSON.parse(fs.readFileSync(path.join(out, file), 'utf8')).Resources ?? {}).filter((r) => r.Type === type);
  const users = (file) => ofType(file, 'Custom::QuickSightUser').length;
  const fileUsers = templates.filter((f) => f !== 'ConstructUsers.template.json').reduce((sum, f) => sum + users(f), 0);
  const expectedFileUsers = readUsers(path.join(app, 'users.yaml'), app);
  check('ConstructUsers (main entry) synthesizes its Custom::QuickSightUser', templates.includes('ConstructUsers.template.json') && users('ConstructUsers.template.json') === 1);
  const zoe = templates.includes('ConstructUsers.template.json') ? ofType('ConstructUsers.template.json', 'Custom::QuickSightUser')[0] : undefined;
  check('ConstructUsers synthesizes its Custom::QuickSightGroup, and the user names it in Groups', ofType('ConstructUsers.template.json', 'Custom::QuickSightGroup').length === 1
    && JSON.stringify(zoe?.Properties?.Groups) === '["readers"]');
  const groupStacks = templates.filter((f) => f.endsWith('-groups.template.json'));
  check('the users file\'s managed groups synthesize into a groups stack', groupStacks.length === 1 && ofType(groupStacks[0], 'Custom::QuickSightGroup').length > 0, groupStacks.join(', '));
  check('the users file (gitops subpath) synthesizes one Custom::QuickSightUser per user', fileUsers === expectedFileUsers && fileUsers > 0, `${fileUsers} of ${expectedFileUsers} in ${templates.length - 1} stack(s)`);
  const assets = fs.readdirSync(out).filter((f) => f.startsWith('asset.') && fs.existsSync(path.join(out, f, 'index.js')));
  check('the handler asset is the bundle shipped in the package', assets.length > 0);

  const mainEntry = run(process.execPath, ['-e', "console.log(Object.keys(require('quicksight-user-cdk')).sort().join(','))"], app).trim();
  check('the main entry exports the construct library only', mainEntry === 'ExternalLoginFederationProviderType,IdentityType,QuickSightGroup,QuickSightGroupMembership,QuickSightUser,UserRole', mainEntry);
} catch (error) {
  check('consumer run', false, error.message);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

const failed = checks.filter((c) => !c.ok).length;
console.log(`consumer: ${checks.length - failed} passed, ${failed} failed (${seconds()})`);
process.exitCode = failed > 0 ? 1 : 0;

/** The number of users in a users file, read with the installed package's own reader. */
function readUsers(file, cwd) {
  return Number(run(process.execPath, ['-e', `console.log(require('quicksight-user-cdk/gitops').readUsersFile(${JSON.stringify(file)}).users.length)`], cwd).trim());
}
