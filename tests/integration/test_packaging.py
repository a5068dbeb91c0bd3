"""A plain `pip install` of the wheel is a working server: every module, the diagrams, forms,
migrations, templates and the built browser assets travel in it, it builds without a setuptools
warning, and installed alone in a fresh environment it initialises, loads the demo, verifies and
serves the diagram viewer's script.

The wheel is built from a copy of the working tree (never in it: setuptools reuses `build/` and
`*.egg-info`, which would ship files since deleted). The fresh environment takes the dependencies
from a wheelhouse kept in the user's cache (`~/.cache/xianfeng/wheelhouse`), filled from PyPI the
first time and whenever pyproject.toml asks for something it lacks, so that later runs install
offline in seconds.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = ("engine", "forms", "processes", "migrations", "web")
DIST = ROOT / "web" / "static" / "dist"
NOT_SOURCE = {
    ".venv",
    ".git",
    "node_modules",
    "__pycache__",
    "test-artifacts",
    ".pytest_cache",
    ".mypy_cache",
}
NOT_SOURCE_AT_ROOT = {"build", "dist", ".ruff_cache"}


@dataclass
class Built:
    wheel: Path
    log: str
    source: Path  # the copy of the tree it was built from

    def names(self) -> set[str]:
        with zipfile.ZipFile(self.wheel) as wheel:
            return set(wheel.namelist())


def _copy_of_the_tree(target: Path) -> Path:
    def ignored(folder: str, names: list[str]) -> set[str]:
        at_root = Path(folder) == ROOT
        return {
            n
            for n in names
            if n in NOT_SOURCE
            or (at_root and n in NOT_SOURCE_AT_ROOT)
            or n.endswith((".egg-info", ".writer-turn"))
            or ".sqlite3" in n
        }

    shutil.copytree(ROOT, target, ignore=ignored)
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    assert (DIST / "viewer.js").is_file(), (
        "the browser assets are not built: run make (npm run build --prefix web)"
    )
    folder = tmp_path_factory.mktemp("wheel")
    source = _copy_of_the_tree(folder / "source")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(folder), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = folder.glob("xianfeng-*.whl")
    return Built(wheel, done.stdout + done.stderr, source)


def test_every_module_of_the_tree_is_in_the_wheel(built: Built) -> None:
    """setup.py finds the packages: a module in a new folder cannot be left out (a hand-written
    list once missed xianfeng.engine.process.operations)."""
    modules = {
        "xianfeng/" + path.relative_to(built.source).as_posix()
        for top in TOP_LEVEL
        for path in (built.source / top).rglob("*.py")
        if not {"node_modules", "__pycache__"} & set(path.parts)
    }
    assert "xianfeng/engine/process/operations/cases.py" in modules
    assert modules - built.names() == set()


def test_the_wheel_ships_diagrams_forms_migrations_templates_and_the_built_browser_assets(
    built: Built,
) -> None:
    names, tree = built.names(), built.source
    data = [*(tree / "processes").glob("*.[bd][pm]*n"), *(tree / "forms").glob("*.json")]
    data += [*(tree / "migrations" / "versions").glob("0*.py"), *(tree / "web" / "templates").rglob("*.html")]
    bundles = (tree / "web" / "static" / "dist").rglob("*")  # dist/assets too; not make's stamp (.built)
    data += [p for p in bundles if p.is_file() and not p.name.startswith(".")]
    missing = {p.relative_to(tree).as_posix() for p in data} - {n.removeprefix("xianfeng/") for n in names}
    assert missing == set()
    assert {
        "xianfeng/migrations/env.py",
        "xianfeng/migrations/script.py.mako",
        "xianfeng/web/static/css/app.css",
        "xianfeng/web/static/dist/viewer.js",
        "xianfeng/web/translations/en/LC_MESSAGES/messages.po",
        "xianfeng/engine/documents/templates/notice.html",
    } <= names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "xianfeng = xianfeng.web.cli:main" in zipfile.ZipFile(built.wheel).read(entry_points).decode()


def test_building_the_wheel_prints_no_setuptools_warning(built: Built) -> None:
    """It printed about 280 lines: every data folder (templates, static, translations) looked to
    setuptools like a package missing from the list, while include-package-data was on."""
    warnings = re.findall(r"\b[A-Z]\w*Warning\b.*", built.log)
    assert warnings == []
    assert "!!" not in built.log


def _wheelhouse() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    house = cache / "xianfeng" / "wheelhouse"
    house.mkdir(parents=True, exist_ok=True)
    return house


def _install_alone(wheel: Path, venv: Path) -> Path:
    """A new virtual environment (no pip of its own, no system packages) holding the wheel and its
    dependencies only; pip runs from outside it (`pip --python`)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    house = _wheelhouse()
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    offline = [*pip, "--no-index", "--find-links", str(house), str(wheel)]
    if subprocess.run(offline, capture_output=True, timeout=600, check=False).returncode != 0:
        fill = [sys.executable, "-m", "pip", "wheel", "--quiet", "--find-links", str(house), "-w", str(house)]
        filled = subprocess.run([*fill, str(wheel)], capture_output=True, text=True, timeout=900, check=False)
        assert filled.returncode == 0, filled.stderr[-3000:]
        for own in house.glob("xianfeng-*.whl"):
            own.unlink()
        installed = subprocess.run(offline, capture_output=True, text=True, timeout=600, check=False)
        assert installed.returncode == 0, installed.stderr[-3000:]
    return python


class Installed:
    """The installed `xianfeng` command, run outside the source tree with a data folder of its own."""

    def __init__(self, venv: Path, folder: Path) -> None:
        self.command = venv / "bin" / "xianfeng"
        self.folder = folder
        drop = {"PYTHONPATH", "DATABASE_URL", "VIRTUAL_ENV", "PYTHONHOME"}
        self.env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("XIANFENG_")}
        self.env.update(XIANFENG_DATA_DIR=str(folder / "data"), XIANFENG_SECRET_KEY="wheel-test-secret")

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            [str(self.command), *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"xianfeng {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        return done.stdout

    def member_ids(self) -> dict[str, int]:
        with closing(sqlite3.connect(self.folder / "data" / "xianfeng.sqlite3")) as db:
            return dict(db.execute("SELECT username, member_id FROM app_user WHERE member_id IS NOT NULL"))


def _nomination(ids: dict[str, int]) -> str:
    data = {
        "candidate_member_id": ids["member1"],
        "post_title": "便民服务示范岗",
        "category": "key_post",
        "discussion_date": "2026-11-20",
        "discussion_summary": "支部党员大会酝酿讨论，一致推荐。",
        "member_evaluators": [ids["member2"], ids["member3"], ids["member4"]],
        "public_evaluator_count": 5,
    }
    return json.dumps(data, ensure_ascii=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Browser:
    """Cookies and the CSRF token, as a person signing in on the web would have them."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        with self.opener.open(self.base + path, timeout=60) as reply:
            return reply.status, dict(reply.headers), reply.read()

    def sign_in(self, username: str, password: str) -> None:
        page = self.get("/login")[2].decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page[:500]
        form = {"csrf_token": token.group(1), "username": username, "password": password}
        with self.opener.open(
            self.base + "/login", urllib.parse.urlencode(form).encode(), timeout=60
        ) as reply:
            assert reply.status == 200 and not reply.url.endswith("/login"), reply.url


def _wait_for(port: int, process: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the installed server did not answer within 120 s: " + log.read_text()[-3000:])


def _fetch_the_viewer(port: int, instance_id: int) -> None:
    browser = Browser(port)
    browser.sign_in("secretary1", "demo12345")
    status, _headers, page = browser.get(f"/instances/{instance_id}")
    assert status == 200
    linked = re.search(r'src="(/assets/viewer\.js\?v=([0-9a-f]{12}))"', page.decode())
    assert linked, "the case page links no viewer script"
    status, headers, script = browser.get(linked.group(1))
    assert status == 200 and "javascript" in headers["Content-Type"]
    assert script == (DIST / "viewer.js").read_bytes()
    assert hashlib.sha256(script).hexdigest()[:12] == linked.group(2)


@pytest.mark.slow
def test_the_wheel_alone_in_a_fresh_environment_initialises_loads_the_demo_verifies_and_serves(
    built: Built, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    python = _install_alone(built.wheel, venv)
    run = Installed(venv, tmp_path)
    found = subprocess.run(
        [
            str(python),
            "-c",
            "import xianfeng.engine.process.operations, xianfeng.web; print(xianfeng.web.__file__)",
        ],
        cwd=tmp_path,
        env=run.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert found.stdout.startswith(str(venv / "lib")), found.stdout  # not the source tree
    run("init")
    run("demo")
    started = run(
        "start", "model_post_creation", "--as", "secretary1", "--data", _nomination(run.member_ids())
    )
    instance_id = int(re.match(r"instance (\d+) ", started).group(1))  # type: ignore[union-attr]
    assert run("verify").startswith("OK:")
    port, log = _free_port(), tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(run.command), "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
            cwd=tmp_path,
            env=run.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(port, server, log)
        _fetch_the_viewer(port, instance_id)
    finally:
        server.send_signal(signal.SIGTERM)
        stopped = server.wait(timeout=60)
    assert stopped == 0, log.read_text()[-3000:]
    assert "Traceback" not in log.read_text()
