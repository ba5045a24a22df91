#!/usr/bin/env bash
# The construct against the oldest aws-cdk-lib and constructs its peer range accepts
# (`npm run test:min-cdk`, CI runs it): installs them into a temporary folder, type-checks lib/
# and the construct tests against their typings, then runs the construct tests with every
# `aws-cdk-lib` and `constructs` import mapped there. The rest of the suite runs against the
# devDependencies (the current versions). Needs a build (the handler bundle).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

peer() { node -p "require('./package.json').peerDependencies['$1'].replace(/^[\\^~]/, '')"; }
cdk_min="$(peer aws-cdk-lib)"
constructs_min="$(peer constructs)"
test -s dist/assets/handler/index.js || { echo "dist/assets/handler/index.js is missing: run npm run build first"; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/quicksight-user-cdk-min-cdk.XXXXXX")"
trap 'rm -rf "$work"' EXIT
modules="$work/node_modules"

echo "installing aws-cdk-lib@$cdk_min and constructs@$constructs_min into $work"
(cd "$work" && echo '{ "name": "min-cdk", "private": true }' > package.json \
  && npm install --no-audit --no-fund --prefer-offline --loglevel=error "aws-cdk-lib@$cdk_min" "constructs@$constructs_min" >/dev/null)
installed="$(node -p "require('$modules/aws-cdk-lib/package.json').version") / $(node -p "require('$modules/constructs/package.json').version")"
echo "installed aws-cdk-lib / constructs: $installed"

# What lib/ uses must exist in the oldest version's typings (Runtime.NODEJS_24_X, the Provider
# and log-group options...): tsc resolves aws-cdk-lib and constructs to the temporary folder.
cat > "$work/tsconfig.json" <<EOF
{
  "extends": "$root/tsconfig.json",
  "compilerOptions": {
    "noEmit": true,
    "baseUrl": "$root",
    "typeRoots": ["$root/node_modules/@types"],
    "paths": {
      "aws-cdk-lib": ["$modules/aws-cdk-lib"],
      "aws-cdk-lib/*": ["$modules/aws-cdk-lib/*"],
      "constructs": ["$modules/constructs"]
    }
  },
  "include": ["$root/lib/**/*.ts", "$root/test/construct.test.ts", "$root/test/groups-construct.test.ts"]
}
EOF
npx tsc -p "$work/tsconfig.json"
echo "type check of lib/ and the construct tests against aws-cdk-lib $cdk_min: ok"

# The construct tests, with every aws-cdk-lib and constructs import (aws-cdk-lib's own included)
# served from the temporary folder; the setup file proves which version was loaded.
cat > "$work/loaded-version.js" <<EOF
const loaded = require('aws-cdk-lib/package.json').version;
if (loaded !== '$cdk_min') throw new Error('the construct tests loaded aws-cdk-lib ' + loaded + ', not $cdk_min');
EOF
cat > "$work/jest.config.js" <<EOF
module.exports = {
  rootDir: '$root',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/construct.test.ts', '**/groups-construct.test.ts'],
  transform: { '^.+\\\\.tsx?\$': 'ts-jest' },
  setupFiles: ['$work/loaded-version.js'],
  moduleNameMapper: {
    '^aws-cdk-lib\$': '$modules/aws-cdk-lib',
    '^aws-cdk-lib/(.*)\$': '$modules/aws-cdk-lib/\$1',
    '^constructs\$': '$modules/constructs',
  },
};
EOF
npx jest --config "$work/jest.config.js" --ci
echo "construct tests against aws-cdk-lib $cdk_min and constructs $constructs_min: passed"
