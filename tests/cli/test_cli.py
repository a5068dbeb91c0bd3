"""The operator CLI: every command with --json, the same role checks as the web, precise errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner, Result

from xianfeng.engine.cli import cli
from xianfeng.engine.process import history
from xianfeng.engine.services.setup import alembic_config

GOOD = '{"political":5,"work":5,"service":4,"conduct":5,"discipline":5}'


class Cli:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.runner = CliRunner()
        self.env = {
            "XIANFENG_DATA_DIR": str(folder),
            "DATABASE_URL": "",
            "XIANFENG_SQLITE_SYNCHRONOUS": "NORMAL",
        }

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(cli, list(args), env=self.env, obj={}, catch_exceptions=False)

    def json(self, *args: str) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    def json_refused(self, *args: str) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == 2, result.output
        return json.loads(result.output)

    def sql(self, statement: str) -> list[Any]:
        engine = sa.create_engine(f"sqlite:///{self.folder / 'xianfeng.sqlite3'}")
        with engine.begin() as connection:
            result = connection.execute(sa.text(statement))
            rows = list(result) if result.returns_rows else []
        engine.dispose()
        return rows


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    runner = Cli(tmp_path_factory.mktemp("cli"))
    assert runner("init").exit_code == 0
    assert runner("demo").exit_code == 0
    return runner


def _member_id(run: Cli, username: str) -> int:
    return run.sql(f"select member_id from app_user where username = '{username}'")[0][0]


def _start(run: Cli, candidate: str = "member1") -> Any:
    """A nomination of `candidate` (one running nomination per member: each test names its own)."""
    data = {
        "candidate_member_id": _member_id(run, candidate),
        "post_title": "便民服务示范岗",
        "category": "key_post",
        "discussion_date": "2026-11-20",
        "discussion_summary": "支部党员大会酝酿讨论，一致推荐。",
        "member_evaluators": [_member_id(run, u) for u in ("member2", "member3", "member4")],
        "public_evaluator_count": 5,
    }
    return run.json(
        "start", "model_post_creation", "--as", "secretary1", "--data", json.dumps(data, ensure_ascii=False)
    )


def test_init_reports_the_deployed_processes_and_is_repeatable(run: Cli) -> None:
    report = run.json("init")
    deployed = {d["process_key"]: d["new"] for d in report["deployed"]}
    assert set(deployed) == {
        "approval",
        "commendation_listing",
        "model_post_creation",
        "nominee_evaluation",
        "public_comment",
        "public_notice",
        "periodic_assessment",
        "rectification",
        "revocation",
        "responsibility_area_division",
        "responsibility_area_review",
        "responsibility_area_reassignment",
    }
    assert not any(deployed.values())


def test_demo_is_idempotent(run: Cli) -> None:
    first = run.json("demo")
    second = run.json("demo")
    assert first == second
    assert (first["branches"], first["villages"], first["members"]) == (3, 6, 33)
    assert run.sql("select count(*) from app_user")[0][0] == 36
    assert {"admin", "auditor", "committee", "secretary3", "member30"} <= set(first["accounts"])


def test_a_procedure_walked_from_the_command_line_verifies(run: Cli) -> None:
    started = _start(run)
    instance = started["instance_id"]
    assert len(started["next_tasks"]) == 8
    mine = run.json("tasks", "--as", "member2")
    task = next(t for t in mine if t["instance_id"] == instance)
    assert task["form"] == "evaluation.json" and task["form_schema"]["required"]
    done = run.json(
        "complete",
        task["id"],
        "--as",
        "member2",
        "--data",
        GOOD,
        "--expected-version",
        str(task["instance_version"]),
    )
    assert done["version"] == task["instance_version"] + 1
    links = run.json("links", str(instance))
    assert len(links) == 5
    via_link = run.json("complete", "--token", links[0]["token"], "--data", GOOD)
    assert via_link["instance_id"] == instance
    history = run.json("history", str(instance))
    assert [e["kind"] for e in history] == ["start", "complete", "complete"]
    assert history[2]["actor"] == "public" and history[1]["prev_hash"] == history[0]["hash"]
    shown = run.json("show", str(instance))
    assert shown["process_version"]["version"] == 1 and len(shown["ready_tasks"]) == 6
    verified = run("verify")
    assert verified.exit_code == 0 and verified.output.startswith("OK:")


def test_every_ready_task_is_listed_with_who_may_act(run: Cli) -> None:
    _start(run, "member5")
    rows = run.json("tasks", "--all")
    member_task = next(r for r in rows if r["role"] == "member")
    public_task = next(r for r in rows if r["role"] == "public")
    assert len(member_task["eligible_users"]) == 1 and member_task["eligible_users"][0].startswith("member")
    assert public_task["eligible_users"] == ["(public link)"]


def test_refusals_exit_with_status_two_and_a_precise_message(run: Cli) -> None:
    instance = _start(run, "member6")["instance_id"]
    task = next(t for t in run.json("tasks", "--as", "member2") if t["instance_id"] == instance)
    wrong_role = run("complete", task["id"], "--as", "committee", "--data", GOOD, "--json")
    assert wrong_role.exit_code == 2
    assert json.loads(wrong_role.output)["code"] == "not_allowed"
    bad_form = run("complete", task["id"], "--as", "member2", "--data", '{"political": 7}')
    assert bad_form.exit_code == 2 and "form_invalid" in bad_form.output and "political" in bad_form.output
    assert run("complete", task["id"], "--as", "member2", "--data", GOOD).exit_code == 0
    again = run("complete", task["id"], "--as", "member2", "--data", GOOD)
    assert again.exit_code == 2 and "already completed by member2" in again.output
    assert run("start", "model_post_creation", "--as", "nobody").exit_code == 2


def test_malformed_data_is_a_usage_error(run: Cli) -> None:
    result = run("complete", "x", "--as", "member2", "--data", "{not json")
    assert result.exit_code == 2 and "not JSON" in result.output


def test_objections_and_notices_from_the_command_line(run: Cli) -> None:
    instance = _start(run, "member7")["instance_id"]
    for task in [
        t for t in run.json("tasks", "--all") if t["instance_id"] == instance and t["role"] == "member"
    ]:
        user = task["eligible_users"][0]
        run.json("complete", task["id"], "--as", user, "--data", GOOD)
    for link in run.json("links", str(instance)):
        run.json("complete", "--token", link["token"], "--data", GOOD)
    notice = next(n for n in run.json("notices") if n["instance_id"] == instance)
    receipt = run.json("object", str(notice["id"]), "--text", "请核实该同志的工作表现。")
    assert receipt["receipt_no"].startswith("YY")
    review = [t for t in run.json("tasks", "--as", "secretary1") if t["instance_id"] == instance]
    assert [t["spec_id"] for t in review] == ["Task_review_objection"]


def test_tick_with_a_given_time_fires_due_timers(run: Cli) -> None:
    report = run.json("tick", "--now", "2027-06-01T00:00:00+08:00")
    assert report["failed"] == [] and len(report["fired"]) >= 1


def test_holidays_are_recorded_listed_and_removed(run: Cli) -> None:
    added = run.json("holidays", "add", "2031-02-03", "--kind", "holiday", "--name", "春节")
    assert added == {"day": "2031-02-03", "kind": "holiday", "name": "春节"}
    assert run.json("holidays", "list", "2031") == [
        {"day": "2031-02-03", "kind": "holiday", "name": "春节", "recorded_by": "admin"}
    ]
    refused = run("holidays", "add", "2031-02-05", "--kind", "workday")
    assert refused.exit_code == 2 and "already a weekday" in refused.output
    assert run.json("holidays", "remove", "2031-02-03")["removed"] is True


def test_verify_reports_tampering_and_exits_one(run: Cli) -> None:
    run.sql("update event set actor = 'someone-else' where seq = 2")
    result = run("verify")
    assert result.exit_code == 1
    assert "event 2" in result.output and "row edited" in result.output


def test_verify_checks_the_heads_the_ticker_published(run: Cli, tmp_path: Path) -> None:
    published = run.folder / "anchors.jsonl"
    published.unlink(missing_ok=True)  # earlier ticks of this module published already
    assert run("tick").exit_code == 0  # publishes the head first, into the data folder's anchors.jsonl
    (line,) = published.read_text(encoding="utf-8").splitlines()[-1:]
    head = json.loads(line)
    (seq,) = run.sql("select max(seq) from event")[0]
    assert head["seq"] == seq and len(head["hash"]) == 64 and "model_post" in head["tables"]
    assert len(head["heads"]) == 16
    shard, (number, _digest) = next((k, v) for k, v in head["heads"].items() if v[0] > 0)
    heads = {**head["heads"], shard: [number, "0" * 64]}
    root = history.root_of([(int(k), v[0], v[1]) for k, v in heads.items()])
    forged = tmp_path / "anchors.jsonl"
    forged.write_text(json.dumps({**head, "heads": heads, "hash": root}) + "\n", encoding="utf-8")
    result = run("verify", "--anchors", str(forged), "--no-replay")
    assert result.exit_code == 1
    assert f"published head {head['seq']}" in result.output
    assert f"shard {shard}'s event {number} now has hash" in result.output


def test_posts_areas_and_the_ledger_from_the_command_line(run: Cli, tmp_path: Path) -> None:
    assert run.json("posts") == [] and run.json("areas") == []
    assert run.json("ledger", "2026") == []
    out = tmp_path / "ledger.xlsx"
    assert run("ledger", "2026", "--xlsx", str(out)).exit_code == 0
    assert out.read_bytes()[:2] == b"PK"


def test_starting_a_per_subject_process_without_data_starts_one_per_subject(run: Cli) -> None:
    assert run.json("start", "periodic_assessment", "--as", "secretary1") == []  # no posts yet
    refused = run("start", "periodic_assessment", "--as", "secretary1", "--data", '{"post_id": 999}')
    assert refused.exit_code == 2 and "not a current subject" in refused.output


def test_a_database_not_initialised_is_refused_with_what_to_do(tmp_path: Path) -> None:
    fresh = Cli(tmp_path)
    refused = fresh.json_refused("tasks", "--all")
    assert refused["code"] == "database_not_ready"
    assert "is not initialised: run `xianfeng init` first" in refused["message"]
    assert fresh("init").exit_code == 0
    assert fresh("tasks", "--all").exit_code == 0


def test_a_database_behind_the_code_is_refused_until_init_upgrades_it(tmp_path: Path) -> None:
    behind = Cli(tmp_path)
    assert behind("init").exit_code == 0
    config = alembic_config(f"sqlite:///{tmp_path / 'xianfeng.sqlite3'}")
    command.downgrade(config, "-1")
    refused = behind.json_refused("demo")
    assert refused["code"] == "database_not_ready"
    assert refused["params"]["current"] != refused["params"]["needed"]
    assert f"is at migration {refused['params']['current']}" in refused["message"]
    assert behind("init").exit_code == 0  # init upgrades it
    assert behind("demo").exit_code == 0
