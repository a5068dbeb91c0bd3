"""`xianfeng processes list|deploy|diff|whatif`, each with --json: the versions with their cases, a
what-if of a longer notice that stores nothing, deploying it with a reason, the difference of the
two versions; a broken diagram exits 2 naming file, line and element, and stores nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from support import CreationWalk, make_kernel, table_contents

from xianfeng.engine.cli import cli
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import accounts
from xianfeng.engine.services.admin import processes

REASON = "公示期延长至7个工作日"


class Cli:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.runner = CliRunner()
        self.env = {
            "XIANFENG_DATA_DIR": str(folder),
            "DATABASE_URL": "",
            "XIANFENG_SQLITE_SYNCHRONOUS": "NORMAL",
        }

    def kernel(self) -> Kernel:
        return make_kernel(f"sqlite:///{self.folder / 'xianfeng.sqlite3'}", str(self.folder))

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(cli, list(args), env=self.env, obj={}, catch_exceptions=False)

    def json(self, *args: str) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    def refused(self, *args: str) -> dict[str, Any]:
        """Exit 2 with the reason as JSON, and every table as it was."""
        kernel = self.kernel()
        before = table_contents(kernel)
        result = self(*args, "--json")
        assert result.exit_code == 2, result.output
        assert table_contents(kernel) == before
        kernel.db.dispose()
        return json.loads(result.output.strip().splitlines()[-1])

    def notice_file(self, name: str, days: int) -> Path:
        """public_notice.bpmn as published, with the notice period set to `days`."""
        kernel = self.kernel()
        text = processes.files_of(kernel, accounts.actor_for(kernel, "auditor"), "public_notice")[
            "public_notice.bpmn"
        ]
        kernel.db.dispose()
        path = self.folder / name
        path.mkdir(exist_ok=True)
        written = path / "public_notice.bpmn"
        written.write_text(
            re.sub(r"notice_days = \d+", f"notice_days = {days}", text, count=1), encoding="utf-8"
        )
        return written


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    runner = Cli(tmp_path_factory.mktemp("cli-processes"))
    assert runner("init").exit_code == 0
    assert runner("demo").exit_code == 0
    kernel = runner.kernel()
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()  # a notice of 5 working days runs
    kernel.db.dispose()
    return runner


def test_list_shows_each_process_with_its_versions_and_cases(run: Cli) -> None:
    entries = {e["process_key"]: e for e in run.json("processes", "list")}
    (version,) = entries["model_post_creation"]["versions"]
    assert (version["version"], version["current"], version["running"], version["reason"]) == (
        1,
        True,
        1,
        "shipped defaults",
    )
    text = run("processes", "list").output
    assert re.search(r"\* v1 +[0-9a-f]{12} +system", text)


def test_whatif_of_a_longer_notice_names_the_running_case_and_stores_nothing(run: Cli) -> None:
    longer = run.notice_file("seven", 7)
    kernel = run.kernel()
    before = table_contents(kernel)
    report = run.json("processes", "whatif", str(longer))
    assert table_contents(kernel) == before
    kernel.db.dispose()
    assert "public_notice" in report["affected"] and "model_post_creation" in report["affected"]
    (case,) = [c for c in report["cases"] if c["process_key"] == "model_post_creation"]
    assert case["verdict"] == "different_deadlines" and "→" in case["detail"]
    assert report["counts"]["different_deadlines"] == 1
    text = run("processes", "whatif", str(longer), "--since", "2026-01-01").output
    assert "different_deadlines" in text


def test_a_broken_diagram_exits_2_naming_file_line_and_element_and_stores_nothing(run: Cli) -> None:
    broken = run.notice_file("broken", 5)
    text = broken.read_text(encoding="utf-8")
    broken.write_text(
        text.replace('sourceRef="Gateway_objection"', 'sourceRef="Gateway_gone"'), encoding="utf-8"
    )
    for command in (("deploy", str(broken), "--reason", "改动公示流程"), ("whatif", str(broken))):
        refused = run.refused("processes", *command)
        assert refused["code"] == "diagram_invalid"
        problems = refused["params"]["problems"]
        assert any(p["file"] == "public_notice.bpmn" and p["line"] and p["element"] for p in problems), (
            problems
        )
    result = run("processes", "deploy", str(broken), "--reason", "改动公示流程")
    assert result.exit_code == 2 and "public_notice.bpmn:" in result.output and "(element " in result.output
    assert run.refused("processes", "deploy", str(run.notice_file("seven", 7)), "--reason", "x")["code"] == (
        "rule_violation"
    )
    other = run.folder / "notes.txt"
    other.write_text("hello", encoding="utf-8")
    assert run.refused("processes", "deploy", str(other), "--reason", REASON)["code"] == "diagram_invalid"


def test_deploy_publishes_with_a_reason_and_diff_shows_the_changed_script(run: Cli) -> None:
    deployed = run.json(
        "processes", "deploy", str(run.notice_file("seven", 7)), "--reason", REASON, "--by", "zhang"
    )
    assert {"process_key": "public_notice", "version": 2} in [
        {"process_key": d["process_key"], "version": d["version"]} for d in deployed
    ]
    entries = {e["process_key"]: e for e in run.json("processes", "list")}
    current = next(v for v in entries["public_notice"]["versions"] if v["current"])
    assert (current["version"], current["reason"], current["deployed_by"]) == (2, REASON, "zhang")
    assert run.refused("processes", "deploy", str(run.notice_file("seven", 7)), "--reason", REASON)[
        "code"
    ] == ("rule_violation"), "deploying what is already published changes nothing"

    (notice,) = run.json("processes", "diff", "public_notice", "1", "2")
    assert list(notice["changed"]) == ["Script_notice_period"]
    (change,) = notice["changed"]["Script_notice_period"]
    assert "notice_days = 5" in change["old"] and "notice_days = 7" in change["new"]
    text = run("processes", "diff", "public_notice", "1", "2").output
    assert "~ Script_notice_period" in text and "notice_days = 7" in text
    assert run.refused("processes", "diff", "public_notice", "1", "9")["code"] == "not_found"
