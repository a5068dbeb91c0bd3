"""Settings read from environment variables.

Nothing is built at import time: callers ask for `Settings.from_env()` when they need it, so tests
can set variables (or pass a `Settings`) without import-order tricks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "xianfeng"
NOTIFY_PREFIXES = ("XIANFENG_NOTIFY_", "XIANFENG_BASE_URL")


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be a number, got {raw!r}") from exc


# SQLite's page cache per connection, in MiB, unless XIANFENG_SQLITE_CACHE_MB says otherwise (see
# `Database`). Measured with `scale_bench.py --only http`: 4 MiB completes as fast as 16, and a
# worker's memory levels off after some 5,000 completions instead of growing by about 2 MiB per
# thousand while the caches of its connections fill.
SQLITE_CACHE_MB = 4


def _env_cache_mb() -> int:
    raw = os.environ.get("XIANFENG_SQLITE_CACHE_MB") or str(SQLITE_CACHE_MB)
    if not raw.isdigit() or not 1 <= int(raw) <= 4096:
        raise ValueError(f"XIANFENG_SQLITE_CACHE_MB must be whole MiB from 1 to 4096, got {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class Settings:
    """Everything the engine needs to know about its deployment."""

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    sqlite_synchronous: str = "FULL"
    # SQLite's page cache per connection, in MiB (see `Database`): a server holds one connection per
    # thread and ticker in every worker, each with its own cache over the same file.
    sqlite_cache_mb: int = SQLITE_CACHE_MB
    script_time_limit: float = 1.0
    # A server's ticker computes, in the minutes before deadlines many cases share, the ticks that
    # fire them (`services.fires_ahead`): how far ahead, and how many seconds of each round it may
    # spend on them (a round runs every second). 0 seconds: fire each case when it falls due.
    tick_ahead_seconds: float = 300.0
    tick_ahead_budget: float = 0.25
    language: str = "zh_CN"
    max_attachment_bytes: int = 10 * 1024 * 1024
    anchors_file: str = ""
    # The key that seals verify's replay checkpoints (`audit.checkpoints`); empty: a key made once
    # and kept in the data folder. Give every machine that runs `verify` the same one.
    replay_key: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    # XIANFENG_NOTIFY_* and XIANFENG_BASE_URL as given: where notifications are delivered
    # (read and checked by services.delivery_config).
    notify: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("XIANFENG_DATA_DIR") or DEFAULT_DATA_DIR).expanduser()
        url = os.environ.get("DATABASE_URL") or ""
        sync = (os.environ.get("XIANFENG_SQLITE_SYNCHRONOUS") or "FULL").upper()
        if sync not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"XIANFENG_SQLITE_SYNCHRONOUS must be OFF, NORMAL, FULL or EXTRA, got {sync!r}")
        return cls(
            data_dir=data_dir,
            database_url=url,
            sqlite_synchronous=sync,
            sqlite_cache_mb=_env_cache_mb(),
            script_time_limit=_env_float("XIANFENG_SCRIPT_TIME_LIMIT", 1.0),
            tick_ahead_seconds=_env_float("XIANFENG_TICK_AHEAD_SECONDS", 300.0),
            tick_ahead_budget=_env_float("XIANFENG_TICK_AHEAD_BUDGET", 0.25),
            language=os.environ.get("XIANFENG_LANGUAGE") or "zh_CN",
            max_attachment_bytes=int(_env_float("XIANFENG_MAX_ATTACHMENT_MB", 10) * 1024 * 1024),
            anchors_file=os.environ.get("XIANFENG_ANCHORS_FILE") or "",
            replay_key=os.environ.get("XIANFENG_REPLAY_KEY") or "",
            notify={k: v for k, v in os.environ.items() if k.startswith(NOTIFY_PREFIXES)},
        )

    @property
    def resolved_anchors_file(self) -> Path:
        """Where published chain heads are appended: the configured file, or one in the data folder
        (copy it off the machine, or point this at storage the database's owner cannot rewrite)."""
        return (
            Path(self.anchors_file).expanduser()
            if self.anchors_file
            else Path(self.data_dir) / "anchors.jsonl"
        )

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'xianfeng.sqlite3'}"
