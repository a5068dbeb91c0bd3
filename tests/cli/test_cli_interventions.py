"""Interventions from the command line: each with --json, a reason on the chain, exit 2 (and nothing
stored) when refused, and `xianfeng verify` clean afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import Cli

START = {
    "post_title": "便民服务示范岗",
    "category": "key_post",
    "discussion_date": "2026-11-20",
    "discussion_summary": "支部党员大会酝酿讨论，一致推荐。",
    "public_evaluator_count": 5,
}


@pytest.fixture
def run(tmp_path: Path) -> Cli:
    runner = Cli(tmp_path)
    assert runner("init").exit_code == 0
    assert runner("demo").exit_code == 0
    return runner


def _started(run: Cli) -> int:
    data = dict(START, candidate_member_id=4, member_evaluators=[5, 6, 7])
    outcome = run.json(
        "start", "model_post_creation", "--as", "secretary1", "--data", json.dumps(data, ensure_ascii=False)
    )
    return int(outcome["instance_id"])


def test_a_case_is_suspended_resumed_and_cancelled_with_reasons_and_verifies(run: Cli) -> None:
    case = _started(run)
    assert run.json("suspend", str(case), "--reason", "等待核查", "--as", "admin")["kind"] == "suspend"
    assert run.json("resume", str(case), "--reason", "核查完毕")["kind"] == "resume"
    cancelled = run.json("cancel", str(case), "--reason", "候选人调离", "--as", "admin")
    assert cancelled["kind"] == "cancel"
    assert run.json("show", str(case))["status"] == "cancelled"
    history = run.json("history", str(case))
    assert [e["kind"] for e in history[-3:]] == ["suspend", "resume", "cancel"]
    assert history[-1]["actor"] == "admin" and history[-1]["payload"]["reason"] == "候选人调离"
    assert run("verify").exit_code == 0


def test_an_intervention_without_a_reason_or_by_a_non_administrator_is_refused(run: Cli) -> None:
    case = _started(run)
    before = run.sql("select count(*) from event")
    assert run("cancel", str(case)).exit_code == 2  # --reason is required
    refused = run.json_refused("cancel", str(case), "--reason", "  ")
    assert refused["code"] == "rule_violation" and "reason" in refused["message"]
    refused = run.json_refused("cancel", str(case), "--reason", "越权取消", "--as", "committee")
    assert refused["code"] == "not_allowed"
    assert run.sql("select count(*) from event") == before


def test_a_migration_to_a_version_that_does_not_exist_is_refused(run: Cli) -> None:
    case = _started(run)
    refused = run.json_refused("migrate", str(case), "--to-version", "9", "--reason", "迁移到新版")
    assert refused["code"] == "not_found" and "version 9" in refused["message"]
    assert run("migrate", "--to-version", "2", "--reason", "批量迁移").exit_code == 2  # names nothing to move


def test_stuck_cases_are_listed(run: Cli) -> None:
    assert run.json("retry") == []
