"""The API of the generated Python package, read without importing it.

Usage: python3 python_api.py <package dir>

Byte-compiles every .py file under the package (py_compile: the generated code is valid Python;
importing it needs the jsii runtime and aws-cdk-lib from PyPI, which this machine cannot reach),
then prints, as JSON, each class of the package's __init__.py with the parameters of its methods:
the positional ones and the keyword-only ones (a jsii struct passed last becomes keyword
arguments). check.js compares them with the .jsii assembly.
"""
import ast
import json
import pathlib
import py_compile
import sys
import tempfile


def parameters(function: ast.FunctionDef) -> dict:
    return {
        "positional": [a.arg for a in function.args.posonlyargs + function.args.args],
        "keyword": [a.arg for a in function.args.kwonlyargs],
    }


def main(package_dir: str) -> None:
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
    print(json.dumps({"compiled": len(files), "classes": classes}))


if __name__ == "__main__":
    main(sys.argv[1])
