#!/usr/bin/env node
// The installed command, `quicksight-users` (package.json "bin"): compiled JavaScript, nothing
// compiled at run time. Relative paths start from the directory it is run in (INIT_CWD when npm
// runs it as a script of this repository, whose scripts run from the package root).
import { run } from './program';

// The SDK warns on Node 20 about its own releases of 2027; the tool pins its SDK, so the warning
// says nothing to its users and would only crowd stderr (the SDK's own switch).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

void run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.env.INIT_CWD ?? process.cwd(),
  stderrIsTTY: process.stderr.isTTY === true,
}).then((code) => {
  process.exitCode = code;
});
