#!/usr/bin/env node
// Bundles the Lambda handler (lambda/index.ts and what it imports, the AWS SDK client included)
// into one minified file, the asset the construct deploys. An app that uses the construct then
// needs neither esbuild nor TypeScript, and no Docker.
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const outfile = path.join(root, 'dist', 'assets', 'handler', 'index.js');

const result = esbuild.buildSync({
  entryPoints: [path.join(root, 'lambda', 'index.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  // The deployed runtime is nodejs24.x; node20 keeps the bundle loadable by the local Node 20 too.
  target: 'node20',
  format: 'cjs',
  mainFields: ['module', 'main'],
  minify: true,
  legalComments: 'external',
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
if (require.main === module) {
  console.log(`handler bundled: ${path.relative(root, outfile)} (${Math.round(bytes / 1024)} KiB)`);
}
