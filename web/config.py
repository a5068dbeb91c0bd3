"""Web settings from the environment; the secret key is generated once and kept in the data folder."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from xianfeng.engine.config import Settings

SECRET_FILE = "secret_key"


@dataclass(frozen=True)
class WebSettings:
    secret_key: str
    secure_cookies: bool
    language: str
    tick_interval: float


def load_web_settings(settings: Settings) -> WebSettings:
    return WebSettings(
        secret_key=os.environ.get("XIANFENG_SECRET_KEY") or _stored_secret(settings.data_dir),
        secure_cookies=os.environ.get("XIANFENG_SECURE_COOKIES", "0") in {"1", "true", "yes"},
        language=settings.language if settings.language in {"zh_CN", "en"} else "zh_CN",
        tick_interval=float(os.environ.get("XIANFENG_TICK_INTERVAL") or 1.0),
    )


def _stored_secret(data_dir: Path) -> str:
    """A random key made on first start and kept (mode 0600) beside the database, never in the repo."""
    path = Path(data_dir) / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key
