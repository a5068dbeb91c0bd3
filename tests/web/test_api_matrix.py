"""The authorization matrix: each role × each endpoint that acts on or reads an instance × an
instance of the caller's own branch or of another branch, with the exact status of every cell.

Two instances wait at 支部确定名单 (a `branch` task): one of branch 1 ("own" for member9 and
secretary1) and one of branch 2 ("other"). The town-wide roles (committee, admin, auditor) have no
branch, so for them the two columns are simply the two instances. They are walked once per module;
each cell works on its own copy of that database, so a cell that succeeds changes nothing for the
next one. A refused cell must store nothing.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import CreationWalk, actor, make_kernel, ready_rows, table_contents
from test_api_support import DETERMINE, add_deputy, error_of, nothing_stored

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import tasks, verbs
from xianfeng.web import create_app
from xianfeng.web.context import KERNEL_KEY

Headers = Callable[[str], dict[str, str]]

ROLES = {
    "member": "member9",
    "secretary": "secretary1",
    "committee": "committee",
    "admin": "admin",
    "auditor": "auditor",
}

# resolve: the task was delegated to member9 (own) / member19 (other); sign: they were asked to co-sign.
# batch: the status inside the 200 report, for the committee's decision that follows the case's step
# (only forms with a ui.batch may be decided in a batch, and 确定名单 is not one).
# start: "own"/"other" is the branch of the nominated candidate.
MATRIX = """
endpoint   member     secretary  committee  admin      auditor
           own other  own other  own other  own other  own other
show       200 403    200 403    200 200    200 200    200 200
history    200 403    200 403    200 200    200 200    200 200
diagram    200 403    200 403    200 200    200 200    200 200
links      403 403    200 403    200 200    403 403    403 403
copies     200 403    200 403    200 200    403 403    403 403
task       403 403    200 403    403 403    403 403    403 403
complete   403 403    200 403    403 403    403 403    403 403
batch      403 403    403 403    200 200    403 403    403 403
return     403 403    200 403    403 403    403 403    403 403
transfer   403 403    200 403    403 403    403 403    403 403
delegate   403 403    200 403    403 403    403 403    403 403
signers    403 403    200 403    403 403    403 403    403 403
resolve    200 403    403 403    403 403    403 403    403 403
sign       200 403    403 403    403 403    403 403    403 403
urge       403 403    200 403    200 200    403 403    403 403
start      403 403    201 422    403 403    403 403    403 403
"""


# Every endpoint that acts on or reads an instance, and starting one: the rows of MATRIX, in order.
ENDPOINTS = [
    "show", "history", "diagram", "links", "copies", "task", "complete", "batch",
    "return", "transfer", "delegate", "signers", "resolve", "sign", "urge", "start",
]  # fmt: skip


DECIDE = {"decision": "approve", "opinion": "同意设立"}


def _cells() -> list[tuple[str, str, str, int]]:
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    roles, rows = lines[0][1:], lines[2:]
    cells = []
    for endpoint, *statuses in rows:
        assert len(statuses) == 2 * len(roles), endpoint
        for index, status in enumerate(statuses):
            cells.append((endpoint, roles[index // 2], ("own", "other")[index % 2], int(status)))
    return cells


@dataclass(frozen=True)
class Case:
    """One instance at 支部确定名单, with the people of its branch the requests name."""

    instance_id: int
    task_id: str
    etag: str
    secretary: str
    member: str  # the plain member the cells for resolve and sign involve
    other_member: str  # someone in scope to delegate to or copy to
    deputy: str  # a second branch officer to transfer to


@dataclass(frozen=True)
class Template:
    path: Path
    now: dt.datetime
    cases: dict[str, Case]


@pytest.fixture(scope="module")
def template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Template:
    folder = tmp_path_factory.mktemp("matrix")
    path = folder / "matrix.sqlite3"
    shutil.copy(sqlite_template, path)
    kernel = make_kernel(f"sqlite:///{path}", str(folder))
    add_deputy(kernel, "deputy1", branch_id=1)
    add_deputy(kernel, "deputy2", branch_id=2)
    own = CreationWalk(kernel)
    other = CreationWalk(
        kernel, secretary="secretary2", candidate="member11", evaluators=("member12", "member13", "member14")
    )
    for walk in (own, other):
        walk.start()
    for walk in (own, other):
        walk.evaluate()
    own.pass_notice()  # both notices end at the same time: one tick ends both
    for walk in (own, other):
        walk.consent()
    cases = {
        "own": _case(own, "member9", "member8", "deputy1"),
        "other": _case(other, "member19", "member18", "deputy2"),
    }
    kernel.db.dispose()  # closing checkpoints the WAL into the file the cells copy
    return Template(path, kernel.clock.now(), cases)


def _case(walk: CreationWalk, member: str, other_member: str, deputy: str) -> Case:
    task = walk.task_of(walk.secretary, "Task_determine_list")
    etag = f'"{walk.instance_id}-{task.instance_version}"'
    return Case(walk.instance_id, task.id, etag, walk.secretary, member, other_member, deputy)


@pytest.fixture(scope="module")
def shared_app(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for the module: building one costs more than the request it serves. Each cell
    points it at its own kernel (below); the secret key stays, so tokens stay valid."""
    folder = tmp_path_factory.mktemp("matrix_app")
    first = make_kernel(f"sqlite:///{template.path}", str(folder), template.now)
    yield create_app(first, testing=True)
    first.db.dispose()


@pytest.fixture
def kernel(template: Template, shared_app: Flask, tmp_path: Path) -> Iterator[Kernel]:
    """This cell's kernel: a copy of the walked template, its clock where the walk left it."""
    path = tmp_path / "xianfeng.sqlite3"
    shutil.copy(template.path, path)
    copy = make_kernel(f"sqlite:///{path}", str(tmp_path), template.now)
    shared_app.extensions[KERNEL_KEY] = copy
    yield copy
    copy.db.dispose()


@pytest.fixture
def app(shared_app: Flask, kernel: Kernel) -> Flask:
    return shared_app


@pytest.fixture(scope="module")
def issued() -> dict[str, dict[str, str]]:
    return {}


@pytest.fixture
def token(client: FlaskClient, issued: dict[str, dict[str, str]]) -> Headers:
    """Authorization headers, asked for once per account: every copy has the same accounts."""

    def headers(username: str) -> dict[str, str]:
        if username not in issued:
            response = client.post("/api/v1/auth/token", json={"username": username, "password": "demo12345"})
            issued[username] = {"Authorization": f"Bearer {response.get_json()['token']}"}
        return issued[username]

    return headers


def _nomination(kernel: Kernel, column: str) -> dict[str, Any]:
    first = 5 if column == "own" else 15  # members 5–8 are in branch 1, 15–18 in branch 2
    return CreationWalk(
        kernel, candidate=f"member{first}", evaluators=tuple(f"member{first + i}" for i in (1, 2, 3))
    ).nomination()


def _request(
    kernel: Kernel, endpoint: str, case: Case, column: str
) -> tuple[str, str, dict[str, Any] | None, bool]:
    """Method, path, JSON body and whether If-Match is sent, for one cell."""
    instance, task = f"/api/v1/instances/{case.instance_id}", f"/api/v1/tasks/{case.task_id}"
    reason = "经支部研究"
    return {
        "show": ("get", instance, None, False),
        "history": ("get", f"{instance}/history", None, False),
        "diagram": ("get", f"{instance}/diagram", None, False),
        "links": ("get", f"{instance}/links", None, False),
        "copies": ("post", f"{instance}/copies", {"users": [case.other_member], "note": "请关注"}, False),
        "task": ("get", task, None, False),
        "complete": ("post", f"{task}/complete", {"data": DETERMINE}, True),
        "batch": (
            "post",
            "/api/v1/tasks/batch-complete",
            {"task_ids": [t.id for t in ready_rows(kernel, case.instance_id)], "data": DECIDE},
            False,
        ),
        "return": ("post", f"{task}/return", {"target": "Task_consent", "reason": reason}, True),
        "transfer": ("post", f"{task}/transfer", {"to": case.deputy, "reason": reason}, False),
        "delegate": ("post", f"{task}/delegate", {"to": case.other_member, "reason": reason}, False),
        "signers": ("post", f"{task}/signers", {"users": [case.other_member], "reason": reason}, False),
        "resolve": ("post", f"{task}/resolve", {"opinion": "已核实"}, False),
        "sign": ("post", f"{task}/sign", {"opinion": "同意"}, False),
        "urge": ("post", f"{task}/urge", {"note": "请尽快办理"}, False),
        "start": (
            "post",
            "/api/v1/processes/model_post_creation/instances",
            {"data": _nomination(kernel, column)},
            False,
        ),
    }[endpoint]


def _prepare(kernel: Kernel, endpoint: str, case: Case) -> None:
    """resolve and sign need the task delegated to, or a signature asked of, the branch's member;
    batch needs the case at the committee's decision."""
    secretary = actor(kernel, case.secretary)
    if endpoint == "batch":
        tasks.complete(kernel, secretary, case.task_id, dict(DETERMINE))
    elif endpoint == "resolve":
        verbs.delegate(kernel, secretary, case.task_id, case.member, "请先核实")
    elif endpoint == "sign":
        verbs.add_signers(kernel, secretary, case.task_id, [case.member], "请会签")


def _outcome(response: Any, endpoint: str) -> tuple[int, Any]:
    """The cell's status and its error body; for batch, those of the one task inside the 200 report."""
    body = response.get_json()
    if endpoint == "batch" and response.status_code == 200:
        item = body["results"][0]
        return (200, None) if item["ok"] else (int(item["error"]["status"]), item["error"])
    return int(response.status_code), body if response.status_code >= 400 else None


@pytest.mark.parametrize(("endpoint", "role", "column", "expected"), _cells())
def test_authorization_matrix(
    client: FlaskClient,
    token: Headers,
    kernel: Kernel,
    template: Template,
    endpoint: str,
    role: str,
    column: str,
    expected: int,
) -> None:
    case = template.cases[column]
    _prepare(kernel, endpoint, case)
    method, path, body, conditional = _request(kernel, endpoint, case, column)
    headers = token(ROLES[role]) | ({"If-Match": case.etag} if conditional else {})
    before = table_contents(kernel)
    response = getattr(client, method)(path, headers=headers, json=body)
    status, error = _outcome(response, endpoint)
    assert status == expected, response.get_json()
    if expected >= 400:
        assert isinstance(error["code"], str) and error["message"], error
    if expected >= 400 or method == "get":
        assert table_contents(kernel) == before, "a refused or reading request stored something"
    else:
        assert table_contents(kernel) != before, "an allowed action stored nothing"


def test_the_matrix_has_every_endpoint_role_and_column() -> None:
    cells = _cells()
    assert [e for e, *_ in cells[:: 2 * len(ROLES)]] == list(ENDPOINTS)
    assert {(role, column) for _e, role, column, _s in cells} == {
        (r, c) for r in ROLES for c in ("own", "other")
    }


@pytest.mark.parametrize(
    ("who", "column", "reason"),
    [("member9", "own", "needs the role 'branch'"), ("secretary1", "other", "belongs to another branch")],
)
def test_a_refusal_says_whether_the_role_or_the_branch_is_wrong(
    client: FlaskClient,
    token: Headers,
    template: Template,
    kernel: Kernel,
    who: str,
    column: str,
    reason: str,
) -> None:
    case = template.cases[column]
    with nothing_stored(kernel):
        response = client.post(
            f"/api/v1/tasks/{case.task_id}/complete",
            headers=token(who) | {"If-Match": case.etag},
            json={"data": DETERMINE},
        )
    assert response.status_code == 403 and reason in error_of(response)["message"]
