"""`xianfeng show` reads as a sentence: no empty outcome between commas ("running , version")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from xianfeng.engine.cli import cli


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder: Path = tmp_path_factory.mktemp("cli-show")
    variables = {
        "XIANFENG_DATA_DIR": str(folder),
        "DATABASE_URL": "",
        "XIANFENG_SQLITE_SYNCHRONOUS": "NORMAL",
    }
    runner = CliRunner()
    for command in (["init"], ["demo"]):
        assert runner.invoke(cli, command, env=variables, obj={}, catch_exceptions=False).exit_code == 0
    return variables


def test_a_running_case_is_shown_without_an_empty_outcome(env: dict[str, str]) -> None:
    runner = CliRunner()
    data = {
        "candidate_member_id": 4,
        "post_title": "便民服务示范岗",
        "category": "key_post",
        "discussion_date": "2026-11-20",
        "discussion_summary": "支部党员大会酝酿讨论，一致推荐。",
        "member_evaluators": [5, 6, 7],
        "public_evaluator_count": 5,
    }
    started = runner.invoke(
        cli,
        ["start", "model_post_creation", "--as", "secretary1", "--data", json.dumps(data), "--json"],
        env=env,
        obj={},
        catch_exceptions=False,
    )
    assert started.exit_code == 0, started.output
    instance = json.loads(started.output)["instance_id"]
    shown = runner.invoke(cli, ["show", str(instance)], env=env, obj={}, catch_exceptions=False).output
    assert "running, state version" in shown and " ," not in shown, shown
