"""The house rules that keep layers apart: the engine imports no web framework, and only
`engine/process` talks to SpiffWorkflow."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _python_files("engine") + _python_files("forms"), ids=lambda p: p.name)
def test_engine_and_forms_import_no_web_framework(path: Path) -> None:
    banned = {
        name
        for name in _imports(path)
        if name.split(".")[0] in {"flask", "flask_babel", "flask_smorest", "web"}
        or name.startswith("xianfeng.web")
    }
    assert not banned, f"{path.relative_to(ROOT)} imports {sorted(banned)}"


@pytest.mark.parametrize(
    "path",
    [p for p in _python_files("engine") if "process" not in p.parts],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_only_the_process_package_imports_spiffworkflow(path: Path) -> None:
    assert not any(name.startswith("SpiffWorkflow") for name in _imports(path)), path
