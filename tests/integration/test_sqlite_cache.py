"""SQLite's page cache per connection is a setting: 4 MiB unless XIANFENG_SQLITE_CACHE_MB says
otherwise, and a value that is not a sensible size is refused at start."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from xianfeng.engine.config import Settings
from xianfeng.engine.db import Database


def _cache_kib(settings: Settings) -> int:
    database = Database.from_settings(settings)
    try:
        with database.engine.connect() as connection:
            return -int(connection.execute(sa.text("PRAGMA cache_size")).scalar_one())
    finally:
        database.dispose()


def test_each_connection_caches_4_mib_unless_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XIANFENG_SQLITE_CACHE_MB", raising=False)
    monkeypatch.setenv("XIANFENG_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert _cache_kib(Settings.from_env()) == 4 * 1024
    monkeypatch.setenv("XIANFENG_SQLITE_CACHE_MB", "64")
    assert _cache_kib(Settings.from_env()) == 64 * 1024


@pytest.mark.parametrize("value", ["0", "-5", "lots", "5000", "1.5"])
def test_a_cache_size_that_is_not_whole_mib_within_reason_is_refused(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XIANFENG_SQLITE_CACHE_MB", value)
    with pytest.raises(ValueError, match="XIANFENG_SQLITE_CACHE_MB"):
        Settings.from_env()
