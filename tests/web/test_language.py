"""Pure Chinese in Chinese, pure English in English (issue 13): every page of the app is opened as
every role — administrator, auditor, town committee, branch secretary, member — in both languages,
with real records (cases waiting, in notice, returned and ended, a post, areas, a notice with an
objection), and what a person reads on it (text, titles, labels, placeholders, buttons) holds no
word of the other language and no requirement code such as (R3.1).

What people wrote or the organisation is called (names, titles, opinions) is data, allowed in both
languages: it is collected from the records the pages show. Allowed Latin words on Chinese pages
are few: BPMN, DMN, Excel, PDF, QR codes, account names, plate numbers, file names and hashes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from language_support import ELSEWHERE, LATIN, data_words, elsewhere, foreign, latin_data, read
from support import CreationWalk, establish_post
from walks_support import divide

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import notices
from xianfeng.web import create_app

pytestmark = pytest.mark.slow

ROLES = ("admin", "auditor", "committee", "secretary1", "member1")
NOT_PAGES = re.compile(
    r"\.(xlsx|pdf|json|txt|png|ico)$|/attachments/|^/assets/|^/static/|^/api/|/people/search"
)


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Kernel, dict[str, Any]]]:
    from support import load_everything, make_kernel

    folder = tmp_path_factory.mktemp("language")
    kernel = make_kernel(f"sqlite:///{folder / 'xianfeng.sqlite3'}", str(folder))
    load_everything(kernel)
    yield kernel, _records(kernel)
    kernel.db.dispose()


def _records(kernel: Kernel) -> dict[str, Any]:
    """A town at work: an established post, areas, a returned case, one in notice with an
    objection, one in evaluation."""
    post_id = establish_post(kernel)
    areas = divide(kernel)
    returned = CreationWalk(kernel, candidate="member9", evaluators=("member6", "member7", "member8"))
    returned.start()
    returned.evaluate()
    returned.pass_notice()
    returned.consent()
    returned.determine()
    returned.decide("return")
    noticed = CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    noticed.start()
    noticed.evaluate()
    (notice,) = notices.active_notices(kernel)
    receipt = notices.file_objection(kernel, notice["id"], "请核实该同志近期的工作表现情况。", "")
    waiting = CreationWalk(kernel, candidate="member10", evaluators=("member2", "member3", "member4"))
    waiting.start()
    return {
        "instance_id": noticed.instance_id,
        "instances": [returned.instance_id, noticed.instance_id, waiting.instance_id],
        "task_id": returned.task_of("secretary1").id,
        "tasks": [returned.task_of("secretary1").id, waiting.task_of("member2").id],
        "post_id": post_id,
        "area_id": areas[1],
        "notice_id": notice["id"],
        "receipt_no": receipt["receipt_no"],
        "token": waiting.public_tokens()[0],
        "process_key": "model_post_creation",
        "year": 2026,
        "user_id": 4,
        "member_id": 4,
        "kind": "member",
        "key": "4",
    }


def pages(app: Flask, values: dict[str, Any]) -> list[str]:
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or "<path:" in rule.rule or NOT_PAGES.search(rule.rule):
            continue
        found.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), rule.rule))
    for instance_id in values["instances"]:
        found += [f"/instances/{instance_id}", f"/instances/{instance_id}/history"]
    found += [f"/tasks/{task_id}" for task_id in values["tasks"]]
    found += ["/ledger?year=abc", "/this-page-does-not-exist"]
    return sorted(set(found))


def signed_in(app: Flask, username: str, language: str) -> FlaskClient:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post(
        "/login", data={"username": username, "password": "demo12345", "csrf_token": token.group(1)}
    )
    assert response.status_code == 302
    client.post(f"/lang/{language}", data={"csrf_token": token.group(1)})
    with client.session_transaction() as session:
        session["lang"] = language
    return client


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_page_reads_in_one_language_for_every_role(
    town: tuple[Kernel, dict[str, Any]], language: str
) -> None:
    kernel, values = town
    app = create_app(kernel, testing=True)
    data, latin_ok = data_words(kernel), latin_data(kernel)
    everywhere = pages(app, values)
    assert len(everywhere) > 50
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    for username in ROLES:
        client = signed_in(app, username, language)
        for path in everywhere:
            response = client.get(path)
            if response.status_code in (301, 302, 303) or "text/html" not in response.content_type:
                continue
            typed = set(LATIN.findall(path.partition("?")[2].partition("=")[2]))  # what the reader asked
            wrong = foreign(read(response.get_data(as_text=True)), language, data, latin_ok | typed)
            apart = elsewhere(path, wrong, kernel)
            if apart:
                seen.add(apart[0])
            elif wrong:
                problems.setdefault(f"{path} as {username} ({response.status_code})", sorted(set(wrong))[:12])
    assert problems == {}, "\n".join(f"{page}: {words}" for page, words in sorted(problems.items()))
    stale = {key for key in ELSEWHERE if key not in seen and (language == "en" or key == "roster")}
    assert not stale, f"no longer needed, take them out of ELSEWHERE: {stale}"


def test_the_check_finds_the_other_language() -> None:
    english_page = read("<p>Case 3 <span title='党支部'>waits</span></p><script>var x='中文'</script>")
    assert foreign(english_page, "en", set(), set()) == ["党支部"]
    chinese_page = read("<p>办理记录 Task_member_evaluation（R3.1）</p>")
    assert {"Task", "member", "evaluation"} <= set(foreign(chinese_page, "zh_CN", set(), set()))
    assert any(w.startswith("requirement code") for w in foreign(chinese_page, "zh_CN", set(), set()))
    assert foreign(read("<p>张三 BPMN PDF</p>"), "zh_CN", set(), set()) == []
