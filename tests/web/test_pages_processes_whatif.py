"""试算 (what-if) through the Flask client: started from a draft, run in the background with its
progress polled as JSON, then every case listed with its verdict and the counts; a date that
cannot be read is refused, and nothing is stored either way."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from support import CreationWalk, establish_post
from test_pages_processes import _opened, _seven_days
from test_pages_support import nothing_stored, post, text

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services.admin import whatif_runs

Login = Callable[[str], FlaskClient]


def _started(client: FlaskClient, draft_id: int, **form: str) -> str:
    response = post(client, f"/admin/processes/drafts/{draft_id}/whatif", form, "/admin/processes")
    assert response.status_code == 303, text(response)
    found = re.fullmatch(r"/admin/processes/whatif/([0-9a-f]{16})", response.headers["Location"])
    assert found, response.headers["Location"]
    assert whatif_runs.wait(found.group(1), timeout=300)
    return found.group(1)


def test_what_if_lists_each_case_with_its_verdict_and_the_counts(kernel: Kernel, login: Login) -> None:
    establish_post(kernel)  # finished: its notice ended after 5 working days
    running = CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    running.start()
    running.evaluate()  # its notice runs now
    admin = login("admin")
    draft_id = _opened(admin)
    _seven_days(admin, draft_id)
    form = text(admin.get(f"/admin/processes/drafts/{draft_id}/whatif"))
    assert 'name="since"' in form and "开始试算" in form
    with nothing_stored(kernel):
        run_id = _started(admin, draft_id, scope="all")
    poll = admin.get(f"/admin/processes/whatif/{run_id}.json").get_json()
    assert poll["finished"] and poll["done"] == poll["total"] == 2
    page = text(admin.get(f"/admin/processes/whatif/{run_id}"))
    row = re.search(rf'<tr class="case (\w+)" data-instance="{running.instance_id}">(.*?)</tr>', page, re.S)
    assert (
        row and row.group(1) == "different_deadlines" and "期限不同" in row.group(2) and "→" in row.group(2)
    )
    assert re.search(r'data-verdict="different_deadlines">1<', page)
    assert re.search(r'data-verdict="different_path">1<', page), "the finished case ran to another path"
    auditor = login("auditor")
    assert auditor.get(f"/admin/processes/whatif/{run_id}").status_code == 200
    assert login("member1").get(f"/admin/processes/whatif/{run_id}").status_code == 403


def test_what_if_of_cases_finished_since_a_later_date_leaves_the_finished_case_out(
    kernel: Kernel, login: Login
) -> None:
    establish_post(kernel)
    admin = login("admin")
    draft_id = _opened(admin)
    _seven_days(admin, draft_id)
    run_id = _started(admin, draft_id, scope="since", since="2099-01-01")
    page = text(admin.get(f"/admin/processes/whatif/{run_id}"))
    assert "没有要试算的案件" in page and "2099-01-01" in page


def test_a_date_that_cannot_be_read_and_an_unknown_run_are_refused(kernel: Kernel, login: Login) -> None:
    admin = login("admin")
    draft_id = _opened(admin)
    with nothing_stored(kernel):
        response = post(
            admin,
            f"/admin/processes/drafts/{draft_id}/whatif",
            {"scope": "since", "since": "明天"},
            "/admin/processes",
        )
    assert response.status_code == 422 and "2026-01-31" in text(response)
    assert admin.get("/admin/processes/whatif/0123456789abcdef").status_code == 404
    assert admin.get("/admin/processes/whatif/..%2f..%2fetc").status_code == 404
