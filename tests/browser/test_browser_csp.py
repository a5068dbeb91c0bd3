"""Every page satisfies its Content-Security-Policy in Chromium (issue 12, finding 10): each GET page
of the app, with real ids from a walked case, an established post, a division of areas, a notice
with an objection and a survey link, is opened as someone who may see it; any CSP violation the
browser reports (console or `securitypolicyviolation` event) fails the test, naming the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import PASSWORD, LiveServer, served, town
from support import CreationWalk, establish_post
from walks_support import divide

from xianfeng.engine.services import notices
from xianfeng.web import create_app

pytestmark = pytest.mark.browser

# Non-page responses (files, data, downloads) and pages that need a record no walk makes here.
# Not pages: downloads, images (Chromium draws an image in a document of its own, with inline style).
NOT_PAGES = re.compile(r"\.(xlsx|pdf|json|txt|png|ico|<fmt>)$|/attachments/|^/assets/")
LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(
  `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    kernel = town(tmp_path_factory.mktemp("csp-server"))
    values = _records(kernel)
    with served(kernel, "csp", threads=4) as live:
        yield live, values


def _records(kernel: Any) -> dict[str, Any]:
    """Real values for every route argument."""
    post_id = establish_post(kernel)
    areas = divide(kernel)
    walk = CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    walk.start()
    walk.evaluate()
    waiting = CreationWalk(kernel, candidate="member9", evaluators=("member10", "member2", "member3"))
    waiting.start()
    token = waiting.public_tokens()[0]  # unused: the survey form itself
    (notice,) = notices.active_notices(kernel)
    receipt = notices.file_objection(kernel, notice["id"], "请核实该同志近期的工作表现情况。", "")
    task = walk.task_of("secretary1")
    return {
        "instance_id": walk.instance_id,
        "task_id": task.id,
        "post_id": post_id,
        "area_id": areas[1],
        "notice_id": notice["id"],
        "receipt_no": receipt["receipt_no"],
        "token": token,
        "process_key": "model_post_creation",
        "year": 2026,
        "user_id": 1,
        "member_id": 1,
        "run_id": 1,
        "draft_id": 1,
        "kind": "member",
        "key": "1",
        "fmt": "json",
    }


def _pages(app_rules: list[str], values: dict[str, Any]) -> list[str]:
    pages = []
    for rule in app_rules:
        if "<path:" in rule:
            continue
        if NOT_PAGES.search(rule):
            continue
        # An argument no record here gives (a route added later) gets 1: its page, or its 404 page.
        pages.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), rule))
    return pages


def _who(path: str) -> str:
    if path.startswith("/admin"):
        return "admin"
    if path.startswith("/audit"):
        return "auditor"
    if path.startswith(("/processes/", "/tasks/", "/areas")):
        return "secretary1"
    return "committee"


def test_every_page_satisfies_its_content_security_policy(
    browser: Any, server: tuple[LiveServer, dict[str, Any]]
) -> None:
    live, values = server
    app = create_app(live.kernel)
    rules = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.rule.startswith(("/api/", "/static/"))
    )
    pages = _pages(rules, values)
    assert len(pages) >= 40 and f"/instances/{values['instance_id']}" in pages
    contexts: dict[str, Any] = {}
    violations: list[str] = []
    for path in pages:
        username = _who(path)
        if username not in contexts:
            contexts[username] = _signed_in(browser, live, username)
        violations.extend(f"{path} (as {username}): {v}" for v in _visit(contexts[username], path))
    assert violations == []
    assert _detects_an_inline_script(contexts["committee"]), "the violation listener saw nothing"
    for context in contexts.values():
        context.close()


def _detects_an_inline_script(context: Any) -> bool:
    """The check can fail: an inline script added to a page is refused and reported."""
    page = context.new_page()
    page.goto("/inbox")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; "
        "document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    reported, ran = page.evaluate("[window.__csp.length, window.ran === 1]")
    page.close()
    return reported > 0 and not ran


def _signed_in(browser: Any, live: LiveServer, username: str) -> Any:
    context = browser.new_context(base_url=live.url, locale="zh-CN")
    context.set_default_timeout(15_000)
    context.add_init_script(LISTENER)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"^(?!.*/login)"))
    page.close()
    return context


def _visit(context: Any, path: str) -> list[str]:
    page = context.new_page()
    seen: list[str] = []
    page.on(
        "console",
        lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None,
    )
    response = page.goto(path)
    assert response is not None
    page.wait_for_load_state("networkidle")
    if "text/html" in (response.headers.get("content-type") or ""):
        assert response.headers.get("content-security-policy"), f"{path} has no CSP header"
        seen.extend(page.evaluate("window.__csp || []"))
    page.close()
    return seen


def test_the_pages_hold_no_inline_script_or_style() -> None:
    """The templates themselves: a script with a body runs only if it is data, and no element
    carries a style attribute or an on… handler (the policy would block them)."""
    templates = Path(__file__).resolve().parents[2] / "web" / "templates"
    found = []
    for template in templates.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<script(?![^>]*\bsrc=)([^>]*)>", text):
            if 'type="application/json"' not in match.group(1):
                found.append(f"{template.name}: inline <script{match.group(1)}>")
        inline = re.finditer(r"<style\b|\sstyle=|\son[a-z]+=", text)
        found += [f"{template.name}: {m.group(0)}" for m in inline]
    assert found == []
