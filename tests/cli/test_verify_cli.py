"""`xianfeng verify` says how fast it verified, and reports broken stored data instead of stopping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from xianfeng.engine.cli import cli


class Cli:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {
            "XIANFENG_DATA_DIR": str(folder),
            "DATABASE_URL": "",
            "XIANFENG_SQLITE_SYNCHRONOUS": "NORMAL",
        }

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=self.env, obj={}, catch_exceptions=False)

    def sql(self, statement: str) -> list[tuple[object, ...]]:
        engine = sa.create_engine(f"sqlite:///{self.folder / 'xianfeng.sqlite3'}")
        with engine.begin() as connection:
            result = connection.execute(sa.text(statement))
            rows = [tuple(row) for row in result] if result.returns_rows else []
        engine.dispose()
        return rows


@pytest.fixture
def run(tmp_path: Path) -> Cli:
    """A database with one nomination started (its start event and the evaluations' call)."""
    runner = Cli(tmp_path)
    assert runner("init").exit_code == 0
    assert runner("demo").exit_code == 0
    ids = dict(runner.sql("select username, member_id from app_user where username like 'member%'"))
    data = {
        "candidate_member_id": ids["member1"],
        "post_title": "便民服务示范岗",
        "category": "key_post",
        "discussion_date": "2026-11-20",
        "discussion_summary": "支部党员大会酝酿讨论，一致推荐。",
        "member_evaluators": [ids["member2"], ids["member3"], ids["member4"]],
        "public_evaluator_count": 5,
    }
    started = runner("start", "model_post_creation", "--as", "secretary1", "--data", json.dumps(data))
    assert started.exit_code == 0, started.output
    return runner


def test_verify_prints_the_events_it_verified_per_second(run: Cli) -> None:
    result = run("verify")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK:")
    line = next(line for line in result.output.splitlines() if "events/second" in line)
    rate = float(line.split(": ")[1].split(" ")[0].replace(",", ""))
    assert rate > 0


def test_verify_as_json_adds_the_events_per_second_to_the_report(run: Cli) -> None:
    result = run("verify", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"events", "instances", "head_seq", "head_hash", "problems"} <= report.keys()
    assert report["events"] >= 1 and report["instances"] == 1 and report["problems"] == []
    assert report["events_per_second"] > 0


def test_verify_reports_a_diagram_cut_short_and_exits_one(run: Cli) -> None:
    run.sql("update artifact set content = substr(content, 1, 300) where name = 'model_post_creation.bpmn'")
    result = run("verify")
    assert result.exit_code == 1
    assert "FAILED" in result.output and "events/second" in result.output
    assert "file model_post_creation.bpmn" in result.output and "do not match its hash" in result.output


def test_verify_since_the_last_published_head_says_what_it_replayed(run: Cli) -> None:
    published = run.folder / "anchors.jsonl"
    published.unlink(missing_ok=True)
    refused = run("verify", "--since-head")
    assert refused.exit_code == 2 and "no published head to start from" in refused.output
    assert run("tick").exit_code == 0  # publishes the head: the nomination's events are all in it
    (head,) = [json.loads(line) for line in published.read_text(encoding="utf-8").splitlines()]
    result = run("verify", "--since-head", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["since"] == f"{head['seq']}:{head['hash']}"
    assert (report["instances"], report["not_replayed"], report["cases"]) == (0, 1, {})
    text = run("verify", "--since-head")
    assert text.exit_code == 0 and f"after published head {head['seq']}:" in text.output
    assert "1 without are proven by the chain up to it" in text.output


def test_verify_again_replays_only_what_came_after_and_full_replays_everything(run: Cli) -> None:
    first = json.loads(run("verify", "--json").output)
    assert first["replayed_events"] >= 1 and first["checkpointed_events"] == 0
    again = run("verify", "--json")
    assert again.exit_code == 0, again.output
    report = json.loads(again.output)
    assert (report["replayed_events"], report["checkpointed_events"]) == (0, first["replayed_events"])
    text = run("verify")
    assert f"{first['replayed_events']} before the checkpoints of an earlier clean verify" in text.output
    full = json.loads(run("verify", "--full", "--json").output)
    assert (full["replayed_events"], full["checkpointed_events"]) == (first["replayed_events"], 0)
