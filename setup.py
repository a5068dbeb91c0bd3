"""The wheel's package list, found rather than written by hand (everything else is in pyproject.toml).

The five top-level folders install under one import name (`engine` → `xianfeng.engine`, see
`package-dir` in pyproject.toml). setuptools' own discovery (`packages.find`) cannot rename a folder
that way, and a list kept by hand missed `xianfeng.engine.process.operations`, so a plain
`pip install .` stopped with ModuleNotFoundError while the editable install (which imports straight
from the tree) worked. Here every folder below them that holds a `.py` file is a package of the
wheel; data files come from `package-data`.
"""

from pathlib import Path

from setuptools import setup

ROOTS = ("engine", "forms", "processes", "migrations", "web")
NOT_CODE = {"node_modules", "__pycache__"}


def xianfeng_packages(base: Path) -> list[str]:
    """`xianfeng.<folder>` for each folder of Python code under the roots, sorted."""
    found = set()
    for root in ROOTS:
        for module in (base / root).rglob("*.py"):
            folder = module.parent.relative_to(base)
            if not NOT_CODE.intersection(folder.parts) and not any(p.startswith(".") for p in folder.parts):
                found.add(".".join(("xianfeng", *folder.parts)))
    return sorted(found)


if __name__ == "__main__":
    setup(packages=xianfeng_packages(Path(__file__).resolve().parent))
