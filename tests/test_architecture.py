"""The package's shape, held by checks that fail when it drifts: layers, circles, hooks, function length."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from dsdcompile.constructions import CONSTRUCTIONS, Hook

ROOT = Path(__file__).resolve().parents[1]
MAX_FUNCTION_LINES = 80


def test_import_linter_contracts_are_kept():
    """The layers (cli → stages → domain → runtime → config → IR → errors) and no import circle, as CI checks."""
    pytest.importorskip("importlinter", reason="import-linter is a test dependency (pip install -e '.[test]')")
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout and "2 kept" in proc.stdout


def test_a_contract_violation_is_reported(tmp_path):
    """The contract check can fail: an import of the CLI from the IR breaks the layers."""
    pytest.importorskip("importlinter", reason="import-linter is a test dependency")
    import shutil

    pkg = tmp_path / "dsdcompile"
    shutil.copytree(ROOT / "dsdcompile", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "ir.py").write_text((pkg / "ir.py").read_text() + "\nimport dsdcompile.cli  # noqa\n")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0 and "BROKEN" in proc.stdout


@pytest.mark.parametrize("name", sorted(CONSTRUCTIONS))
def test_every_construction_hook_names_a_function(name):
    """A Hook is a string until it is called: a typo in one would only show in the stage that calls it."""
    c = CONSTRUCTIONS[name]
    hooks = [h for h in (c._compile, c._forward, c._prepare_dsd, c._activation, c._export) if isinstance(h, Hook)]
    assert hooks, "every construction names at least its compile pass by a Hook"
    for hook in hooks:
        assert callable(hook.resolve()), hook.target


def _long_functions(root: Path) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    out.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name} ({n} lines)")
    return out


def test_no_function_in_the_package_is_over_80_lines():
    assert _long_functions(ROOT / "dsdcompile") == []


def test_the_length_check_finds_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(f"def long():\n{body}\n")
    assert _long_functions(tmp_path / "pkg") == ["pkg/m.py:1 long (81 lines)"]
