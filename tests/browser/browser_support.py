"""What a person does in the browser: sign in, open a task from the inbox, fill a rendered form,
submit it; plus the checks every page of the walk gets (no horizontal scroll on a phone) and the
screenshots kept as test artifacts."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, expect

from xianfeng.engine.actor import Actor
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Member, User
from xianfeng.engine.services import accounts, instances, timers

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PASSWORD = "demo12345"
MOBILE_WIDTH = 375


@dataclass(frozen=True)
class LiveServer:
    url: str
    kernel: Kernel


def town(folder: Path) -> Kernel:
    """A fresh SQLite database in `folder` with the diagrams and the demo data of 治安镇."""
    from support import load_everything, make_kernel

    kernel = make_kernel(f"sqlite:///{folder / 'xianfeng.sqlite3'}", str(folder))
    load_everything(kernel)
    return kernel


@contextmanager
def served(kernel: Kernel, name: str, threads: int = 8) -> Iterator[LiveServer]:
    """The app on `kernel`, served by waitress on a free port in a background thread while the
    block runs; the kernel's connections are closed after it."""
    from waitress import create_server

    from xianfeng.web import create_app

    server = create_server(
        create_app(kernel), host="127.0.0.1", port=0, threads=threads, ident=f"xianfeng-{name}"
    )
    thread = threading.Thread(target=server.run, name=f"waitress-{name}", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.effective_port}", kernel)  # type: ignore[union-attr]
    finally:
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(timeout=5)
        kernel.db.dispose()


@dataclass(frozen=True)
class Device:
    name: str
    width: int
    height: int

    @property
    def mobile(self) -> bool:
        return self.width <= MOBILE_WIDTH


DESKTOP = Device("desktop", 1280, 800)
MOBILE = Device("mobile", MOBILE_WIDTH, 740)


@dataclass(frozen=True)
class Person:
    username: str
    member_id: int
    name: str
    label: str  # as the forms list them: 李志强（ZA-M01）


def person(server: LiveServer, username: str) -> Person:
    with server.kernel.db.unit_of_work(write=False) as uow:
        name, code, member_id = uow.session.execute(
            sa.select(Member.name, Member.code, Member.id)
            .join(User, User.member_id == Member.id)
            .where(User.username == username)
        ).one()
    return Person(username, member_id, name, f"{name}（{code}）")


class Walk:
    """One device's run: a browser context per person, screenshots under test-artifacts/."""

    def __init__(self, browser: Browser, server: LiveServer, device: Device) -> None:
        self.browser = browser
        self.server = server
        self.device = device
        self.folder = ARTIFACTS / str(device.width)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.contexts: list[BrowserContext] = []
        self.shots: list[Path] = []

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    def page(self) -> Page:
        """A fresh browser (no cookies), sized like the device."""
        options: dict[str, object] = {
            "viewport": {"width": self.device.width, "height": self.device.height},
            "base_url": self.server.url,
            "locale": "zh-CN",
        }
        if self.device.mobile:
            options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
        context = self.browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return context.new_page()

    def sign_in(self, username: str) -> Page:
        page = self.page()
        page.goto("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.locator("header .who")).to_have_attribute("title", username)
        return page

    def shot(self, page: Page, name: str) -> None:
        path = self.folder / f"{len(self.shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)

    def fits(self, page: Page, what: str) -> None:
        """On a phone, the page must not scroll sideways."""
        if not self.device.mobile:
            return
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert inner == self.device.width, (
            f"{what}: the layout viewport is {inner} px, not {self.device.width}"
        )
        assert width <= inner, f"{what} scrolls horizontally at {inner} px: the page is {width} px wide"

    def open_task(self, page: Page, step: str, instance_title: str, shot: str = "") -> None:
        """From the inbox to the task `step` of the instance, by clicking its row."""
        page.goto("/inbox")
        expect(page.locator("h1")).to_have_text("待办")
        row = page.locator("tbody tr").filter(has_text=step).filter(has_text=instance_title)
        expect(row).to_have_count(1)
        self.fits(page, "the inbox")
        if shot:
            self.shot(page, shot)
        row.get_by_role("link", name=instance_title).click()
        expect(page.locator("h1")).to_have_text(step)

    def submit_task(self, page: Page, step: str) -> None:
        page.locator("#form").get_by_role("button", name="提交").click()
        expect(page).to_have_url(re.compile(r"/inbox$"))
        expect(page.locator(".flash.success").first).to_have_text(f"已提交：{step}")


def choose(page: Page, field: str, value: str) -> None:
    page.locator(f'input[name="{field}"][value="{value}"]').check()


def pass_the_notice(server: LiveServer, instance_id: int) -> None:
    """Move the shared clock one second past the notice's end and fire due timers."""
    kernel = server.kernel
    view = instances.show(kernel, _auditor(server), instance_id)
    due = min(t["due_at"] for t in view["timers"])
    kernel.clock.set(due + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    report = timers.tick(kernel)
    assert report.fired, f"no timer fired at {due}"


def established_plate(server: LiveServer, instance_id: int) -> str:
    """The plate number the engine recorded for the post the instance established."""
    view = instances.show(server.kernel, _auditor(server), instance_id)
    return str(view["data"]["post"]["plate_no"])


def _auditor(server: LiveServer) -> Actor:
    return accounts.actor_for(server.kernel, "auditor")
