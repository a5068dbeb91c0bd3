"""Fixtures: a ready kernel on SQLite, and on PostgreSQL for tests that take the `backend` fixture."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import (
    START,
    CreationWalk,
    empty_all_tables,
    load_everything,
    make_kernel,
    postgres_schema,
    postgres_unreachable,
)

from xianfeng.engine.kernel import Kernel


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the shipped diagrams and the demo data, copied for each test."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite3"
    kernel = make_kernel(f"sqlite:///{path}", str(folder))
    load_everything(kernel)
    kernel.db.dispose()
    return path


@pytest.fixture
def sqlite_kernel(sqlite_template: Path, tmp_path: Path) -> Iterator[Kernel]:
    path = tmp_path / "xianfeng.sqlite3"
    shutil.copy(sqlite_template, path)
    kernel = make_kernel(f"sqlite:///{path}", str(tmp_path), START)
    yield kernel
    kernel.db.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    reason = postgres_unreachable()
    if reason:
        pytest.skip(reason)
    with postgres_schema() as url:
        yield url


@pytest.fixture
def postgres_kernel(postgres_url: str, tmp_path: Path) -> Iterator[Kernel]:
    kernel = make_kernel(postgres_url, str(tmp_path), START)
    load_everything(kernel)
    yield kernel
    empty_all_tables(kernel)
    kernel.db.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> Kernel:
    """The same test on both databases."""
    return request.getfixturevalue(f"{request.param}_kernel")


@pytest.fixture
def kernel(sqlite_kernel: Kernel) -> Kernel:
    return sqlite_kernel


@pytest.fixture
def walk(kernel: Kernel) -> CreationWalk:
    return CreationWalk(kernel)
