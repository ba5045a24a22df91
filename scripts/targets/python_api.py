"""The API of the generated Python package, read without importing it.

Usage: python3 python_api.py <package dir> [<Markdown file>]

Byte-compiles every .py file under the package (py_compile: the generated code is valid Python;
importing it needs the jsii runtime and aws-cdk-lib from PyPI, which this machine cannot reach),
then prints, as JSON, each class of the package's __init__.py with the parameters of its methods:
the positional ones and the keyword-only ones (a jsii struct passed last becomes keyword
arguments). check.js compares them with the .jsii assembly.

With a Markdown file (the README), also compiles its ```python blocks and lists what they import
from the package and the calls they make to it (class, number of positional arguments, keyword
names), for check.js to hold against the same API.
"""
import ast
import json
import pathlib
import re
import py_compile
import sys
import tempfile


def parameters(function: ast.FunctionDef) -> dict:
    return {
        "positional": [a.arg for a in function.args.posonlyargs + function.args.args],
        "keyword": [a.arg for a in function.args.kwonlyargs],
    }


def snippets(markdown: pathlib.Path, module: str) -> dict:
    blocks = re.findall(r"^```python\n(.*?)^```", markdown.read_text(encoding="utf-8"), re.S | re.M)
    imported, calls = [], []
    for number, block in enumerate(blocks, 1):
        tree = ast.parse(compile(block, f"{markdown.name}, python block {number}", "exec", ast.PyCF_ONLY_AST))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == module:
                names |= {alias.name for alias in node.names}
        imported += sorted(names)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
                calls.append({
                    "block": number,
                    "line": node.lineno,
                    "callee": node.func.id,
                    "positional": len(node.args),
                    "keyword": [k.arg for k in node.keywords],
                })
    return {"blocks": len(blocks), "imported": imported, "calls": calls}


def main(package_dir: str, markdown: str = "") -> None:
    package = pathlib.Path(package_dir)
    files = sorted(package.rglob("*.py"))
    if not files:
        sys.exit(f"no Python files under {package}")
    with tempfile.TemporaryDirectory() as scratch:
        for i, file in enumerate(files):
            # Compiled to a scratch folder: the generated tree stays as pacmak wrote it.
            try:
                py_compile.compile(str(file), cfile=str(pathlib.Path(scratch, f"{i}.pyc")), doraise=True)
            except py_compile.PyCompileError as error:
                sys.exit(error.msg)

    tree = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
    classes = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        methods = {}
        members = []
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                methods[item.name] = parameters(item)
            elif isinstance(item, ast.Assign):
                members += [t.id for t in item.targets if isinstance(t, ast.Name)]
        classes[node.name] = {"methods": methods, "members": members}
    result = {"compiled": len(files), "classes": classes}
    if markdown:
        result["snippets"] = snippets(pathlib.Path(markdown), package.name)
    print(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:3])
