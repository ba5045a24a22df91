#!/usr/bin/env node
// Offline checks of the packages jsii-pacmak generated (`npm run targets`, into dist/targets):
// what can be checked here without PyPI, Maven Central or NuGet (this machine reaches only the npm
// registry and Debian's packages, so the generated packages cannot be built or imported).
//
// - Python: every generated .py file byte-compiles (py_compile), and every type of the .jsii
//   assembly is there with the same members in snake_case: QuickSightUser(scope, id, *, <each prop
//   of QuickSightUserProps>), the structs' keyword arguments, the enums' members; and the README's
//   Python example compiles and calls QuickSightUser with keyword arguments it has.
// - Java: every generated .java file parses (the JDK's own parser), and every type is there with
//   the same members: QuickSightUser.Builder.create(scope, id).<each prop>(...), the structs'
//   getters and builders, the enums' constants.
// - .NET and Go: the generated project is there and names every prop of every struct.
//
// The expected API comes from the .jsii assembly, which jsii compiles from lib/ (the TypeScript API).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const assembly = JSON.parse(fs.readFileSync(path.join(root, '.jsii'), 'utf8'));
const outdir = path.join(root, pkg.jsii.outdir);
const { targets } = pkg.jsii;

const problems = [];
const expect = (condition, message) => {
  if (!condition) problems.push(message);
};

// ---- the API, from the assembly ----

const localTypes = Object.values(assembly.types).filter((t) => t.assembly === assembly.name);
const typeOf = (fqn) => assembly.types[fqn];
const isStruct = (ref) => ref?.fqn !== undefined && typeOf(ref.fqn)?.datatype === true;

/** A struct's properties, its own and those of the structs it extends (within this assembly). */
function structProperties(fqn) {
  const type = typeOf(fqn);
  if (!type) throw new Error(`${fqn} is not in this assembly: extend check.js to read its dependencies`);
  return [...(type.interfaces ?? []).flatMap(structProperties), ...(type.properties ?? [])];
}

/** A callable's parameters as jsii passes them: a struct in last place becomes keyword arguments. */
function callShape(callable) {
  const parameters = callable.parameters ?? [];
  const last = parameters[parameters.length - 1];
  const keywordStruct = last && isStruct(last.type) ? last : undefined;
  return {
    positional: (keywordStruct ? parameters.slice(0, -1) : parameters).map((p) => p.name),
    keywordStruct,
    keyword: keywordStruct ? structProperties(keywordStruct.type.fqn).map((p) => p.name) : [],
  };
}

/** Runs a helper that prints JSON; on failure (a syntax error in the generated code), says so and stops. */
function readApi(label, command, args) {
  try {
    return JSON.parse(execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (error) {
    process.stderr.write(`${String(error.stderr ?? '')}${label}: ${command} ${args.map((a) => path.relative(root, a)).join(' ')} failed (${error.code === 'ENOENT' ? `${command} is not installed` : `exit ${error.status}`})\n`);
    process.exit(1);
  }
}

const snake = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').toLowerCase();
const pascal = (name) => name.charAt(0).toUpperCase() + name.slice(1);
const same = (actual, expected) => JSON.stringify(actual) === JSON.stringify(expected);
const list = (names) => `(${names.join(', ')})`;

// ---- Python ----

function checkPython() {
  const dir = path.join(outdir, 'python', 'src', targets.python.module.replace(/\./g, path.sep));
  const api = readApi('Python', 'python3', [path.join(__dirname, 'python_api.py'), dir, path.join(root, 'README.md')]);
  for (const type of localTypes) {
    const found = api.classes[type.name];
    expect(found, `Python: class ${type.name} is missing`);
    if (!found) continue;
    const has = (member) => member in found.methods || found.members.includes(member);
    if (type.kind === 'enum') {
      for (const m of type.members) expect(has(m.name), `Python: ${type.name}.${m.name} is missing`);
      continue;
    }
    if (type.datatype) {
      const props = structProperties(type.fqn).map((p) => snake(p.name));
      const init = found.methods.__init__;
      expect(init && same(init.keyword, props), `Python: ${type.name}(*, ${init?.keyword.join(', ')}) should take ${list(props)}`);
    }
    if (type.kind === 'class' && type.initializer) {
      const shape = callShape(type.initializer);
      const init = found.methods.__init__;
      const want = { positional: ['self', ...shape.positional.map(snake)], keyword: shape.keyword.map(snake) };
      expect(init && same(init, want), `Python: ${type.name}.__init__${list(init?.positional ?? [])} *${list(init?.keyword ?? [])} should be ${list(want.positional)} *${list(want.keyword)}`);
    }
    for (const method of type.methods ?? []) {
      const shape = callShape(method);
      const found_ = found.methods[snake(method.name)];
      const want = { positional: [method.static ? 'cls' : 'self', ...shape.positional.map(snake)], keyword: shape.keyword.map(snake) };
      expect(found_ && same(found_, want), `Python: ${type.name}.${snake(method.name)} should be ${list(want.positional)} *${list(want.keyword)}`);
    }
    for (const prop of type.properties ?? []) expect(has(snake(prop.name)), `Python: ${type.name}.${snake(prop.name)} is missing`);
  }
  const { snippets } = api;
  expect(snippets.blocks > 0 && snippets.calls.length > 0, 'Python: the README has no Python example calling the package');
  for (const name of snippets.imported) expect(name in api.classes, `Python: the README imports ${name}, which the package does not have`);
  for (const call of snippets.calls) {
    const where = `the README's Python (block ${call.block}, line ${call.line}): ${call.callee}(...)`;
    const init = api.classes[call.callee]?.methods.__init__;
    const type = localTypes.find((t) => t.name === call.callee);
    if (!init || !type?.initializer) continue;
    const shape = callShape(type.initializer);
    const required = shape.keywordStruct ? structProperties(shape.keywordStruct.type.fqn).filter((p) => !p.optional).map((p) => snake(p.name)) : [];
    expect(call.positional === init.positional.length - 1, `${where} passes ${call.positional} positional arguments, not ${init.positional.length - 1}`);
    for (const k of call.keyword) expect(init.keyword.includes(k), `${where} passes ${k}, which it does not take`);
    for (const k of required) expect(call.keyword.includes(k), `${where} leaves out the required ${k}`);
  }
  const user = api.classes.QuickSightUser.methods.__init__;
  return `Python: ${api.compiled} files compile; ${localTypes.length} types as in the assembly; ` +
    `the README's ${snippets.calls.length} calls match; ` +
    `QuickSightUser(${user.positional.slice(1).join(', ')}, *, ${user.keyword.length} keyword arguments: ${user.keyword.join(', ')})`;
}

// ---- Java ----

function checkJava() {
  const dir = path.join(outdir, 'java', 'src', 'main', 'java');
  const api = readApi('Java', 'java', [path.join(__dirname, 'JavaApi.java'), dir]);
  const getter = (name) => `get${pascal(name)}`;
  for (const type of localTypes) {
    const members = api.classes[type.name];
    expect(members, `Java: ${type.name} is missing`);
    if (!members) continue;
    if (type.kind === 'enum') {
      for (const m of type.members) expect(members.includes(m.name), `Java: ${type.name}.${m.name} is missing`);
      continue;
    }
    if (type.datatype) {
      const builder = api.classes[`${type.name}.Builder`] ?? [];
      for (const p of structProperties(type.fqn)) {
        expect(members.includes(getter(p.name)), `Java: ${type.name}.${getter(p.name)}() is missing`);
        expect(builder.includes(p.name), `Java: ${type.name}.Builder.${p.name}(...) is missing`);
      }
    }
    if (type.kind === 'class' && type.initializer) {
      const shape = callShape(type.initializer);
      if (shape.keywordStruct) {
        const builder = api.classes[`${type.name}.Builder`] ?? [];
        expect(builder.includes('create'), `Java: ${type.name}.Builder.create(...) is missing`);
        for (const p of shape.keyword) expect(builder.includes(p), `Java: ${type.name}.Builder.${p}(...) is missing`);
      }
    }
    for (const method of type.methods ?? []) expect(members.includes(method.name), `Java: ${type.name}.${method.name}(...) is missing`);
    for (const prop of type.properties ?? []) expect(members.includes(getter(prop.name)), `Java: ${type.name}.${getter(prop.name)}() is missing`);
  }
  const builder = api.classes['QuickSightUser.Builder'].filter((m) => !['create', '<init>', 'build'].includes(m));
  return `Java: ${api.parsed} files parse; ${localTypes.length} types as in the assembly; QuickSightUser.Builder.create(scope, id) with ${builder.length} props: ${builder.join(', ')}`;
}

// ---- .NET and Go: the props are named ----

function checkNamed(label, file, pattern) {
  const structs = localTypes.filter((t) => t.datatype);
  for (const struct of structs) {
    const source = fs.existsSync(file(struct)) ? fs.readFileSync(file(struct), 'utf8') : undefined;
    expect(source !== undefined, `${label}: ${path.relative(root, file(struct))} is missing`);
    for (const p of structProperties(struct.fqn)) {
      expect(source === undefined || pattern(p.name).test(source), `${label}: ${struct.name} does not name ${p.name}`);
    }
  }
  return `${label}: ${structs.length} structs name all their props`;
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const goPackage = pkg.name.replace(/[^a-z0-9]/gi, '').toLowerCase();
const summaries = [
  checkPython(),
  checkJava(),
  checkNamed('.NET', (t) => path.join(outdir, 'dotnet', targets.dotnet.packageId, targets.dotnet.namespace, `${t.name}.cs`),
    (name) => new RegExp(`\\[JsiiProperty\\(name: "${escape(name)}"[^\\n]*\\n\\s*public [^\\n]* ${pascal(name)}\\b`)),
  checkNamed('Go', (t) => path.join(outdir, 'go', goPackage, `${t.name}.go`),
    (name) => new RegExp(`^\\s*${pascal(name)} \\S+ \`field:"(required|optional)" json:"${escape(name)}"`, 'm')),
];
for (const summary of summaries) console.log(summary);
if (problems.length > 0) {
  console.error(`\n${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('targets: all four generated packages match the .jsii assembly');
