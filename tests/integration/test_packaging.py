"""A plain `pip install .` must carry the diagrams, forms and migrations (package data)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = {"engine", "forms", "processes", "migrations", "web"}


def test_every_python_package_of_the_tree_is_listed_for_the_wheel() -> None:
    """The package list in pyproject.toml is written by hand: a new package left out of it would be
    missing from a real install while an editable one still imports it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        "xianfeng." + ".".join(init.parent.relative_to(ROOT).parts)
        for top in TOP_LEVEL
        for init in (ROOT / top).rglob("__init__.py")
        if "node_modules" not in init.parts
    }
    assert found - listed == set()


def test_the_wheel_ships_diagrams_forms_and_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("xianfeng-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for diagram in (ROOT / "processes").glob("*.[bd][pm]*n"):
        assert f"xianfeng/processes/{diagram.name}" in names
    for form in (ROOT / "forms").glob("*.json"):
        assert f"xianfeng/forms/{form.name}" in names
    for migration in (ROOT / "migrations" / "versions").glob("0*.py"):
        assert f"xianfeng/migrations/versions/{migration.name}" in names
    assert {
        "xianfeng/migrations/env.py",
        "xianfeng/migrations/script.py.mako",
        "xianfeng/engine/cli.py",
    } <= names
    for shipped in ("templates/base.html", "static/css/app.css", "translations/en/LC_MESSAGES/messages.po"):
        assert f"xianfeng/web/{shipped}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "xianfeng = xianfeng.web.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
