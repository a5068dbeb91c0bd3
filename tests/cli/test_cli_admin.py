"""`xianfeng org export|import` and `xianfeng users list|add|passwd|disable|enable`, each with
--json: a refusal exits 2 with the rule that refused and stores nothing; a one-time password is
printed once and works only to set a new one; verify stays clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from admin_support import read_roster, write_roster
from click.testing import CliRunner, Result
from support import make_kernel, table_contents

from xianfeng.engine.cli import cli
from xianfeng.engine.errors import NotAuthenticated
from xianfeng.engine.services import accounts


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

    def refused(self, *args: str) -> dict[str, Any]:
        """The command is refused (exit 2, its reason as JSON) and every table is as it was."""
        kernel = make_kernel(f"sqlite:///{self.folder / 'xianfeng.sqlite3'}", str(self.folder))
        before = table_contents(kernel)
        result = self(*args, "--json")
        assert result.exit_code == 2, result.output
        assert table_contents(kernel) == before
        kernel.db.dispose()
        return json.loads(result.output.strip().splitlines()[-1])

    def sign_in(self, username: str, password: str) -> Any:
        kernel = make_kernel(f"sqlite:///{self.folder / 'xianfeng.sqlite3'}", str(self.folder))
        try:
            return accounts.authenticate(kernel, username, password)
        finally:
            kernel.db.dispose()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    runner = Cli(tmp_path_factory.mktemp("cli-admin"))
    assert runner("init").exit_code == 0
    assert runner("demo").exit_code == 0
    newcomer = runner.folder / "newcomer.xlsx"
    row = {"党员编号": "ZA-M60", "姓名": "其木格", "所在党支部": "新民村党支部"}
    newcomer.write_bytes(write_roster([row]))
    assert runner("org", "import", str(newcomer)).exit_code == 0  # a member without an account
    return runner


def test_users_add_prints_a_one_time_password_that_must_be_changed(run: Cli) -> None:
    added = run.json("users", "add", "zhiwei3", "--role", "branch", "--role", "member", "--member", "ZA-M60")
    account = added["account"]
    assert (account["username"], sorted(account["roles"]), account["branch"], account["member_code"]) == (
        "zhiwei3",
        ["branch", "member"],
        "新民村党支部",
        "ZA-M60",
    )
    assert account["must_change_password"] is True
    assert len(added["temporary_password"]) == 12
    assert run.sign_in("zhiwei3", added["temporary_password"]).must_change_password
    text = run("users", "add", "shenji2", "--role", "auditor")
    assert text.exit_code == 0 and "one-time password: " in text.output and "shown once" in text.output


def test_users_add_refuses_precisely_and_stores_nothing(run: Cli) -> None:
    assert (
        "has the account member1"
        in run.refused("users", "add", "dup1", "--role", "member", "--member", "ZA-M01")["message"]
    )
    assert "exists already" in run.refused("users", "add", "member2", "--role", "member")["message"]
    assert "needs its branch" in run.refused("users", "add", "zw9", "--role", "branch")["message"]
    assert "no branch" in run.refused("users", "add", "zw9", "--role", "branch", "--branch", "99")["message"]
    bad_role = run("users", "add", "zw9", "--role", "king")
    assert bad_role.exit_code == 2 and "'king' is not one of" in bad_role.output


def test_users_list_shows_roles_branch_member_and_state(run: Cli) -> None:
    rows = {r["username"]: r for r in run.json("users", "list")}
    assert (
        rows["secretary1"]["roles"] == ["branch", "member"] and rows["secretary1"]["branch"] == "治安村党支部"
    )
    assert rows["committee"]["branch"] is None and rows["member1"]["member_code"] == "ZA-M01"
    admins = run.json("users", "list", "--role", "admin")
    assert [r["username"] for r in admins] == ["admin"]
    assert "admin" in run("users", "list").output


def test_users_passwd_needs_a_reason_and_gives_a_new_one_time_password(run: Cli) -> None:
    assert "needs a reason" in run.refused("users", "passwd", "member3")["message"]
    assert run.refused("users", "passwd", "nobody", "--reason", "忘记")["code"] == "not_found"
    reset = run.json("users", "passwd", "member3", "--reason", "本人忘记密码", "--by", "admin")
    with pytest.raises(NotAuthenticated):
        run.sign_in("member3", "demo12345")
    assert run.sign_in("member3", reset["temporary_password"]).must_change_password


def test_users_disable_stops_the_account_and_enable_restores_it(run: Cli) -> None:
    assert "needs a reason" in run.refused("users", "disable", "member4")["message"]
    done = run.json("users", "disable", "member4", "--reason", "长期外出")
    assert done == {"username": "member4", "active": False, "handed_over": []}
    with pytest.raises(NotAuthenticated):
        run.sign_in("member4", "demo12345")
    assert "disabled already" in run.refused("users", "disable", "member4", "--reason", "再次")["message"]
    assert run.json("users", "enable", "member4", "--reason", "返回")["active"] is True
    assert run.sign_in("member4", "demo12345").username == "member4"


def test_org_export_then_import_of_an_edited_file(run: Cli, tmp_path: Path) -> None:
    path = tmp_path / "花名册.xlsx"
    exported = run.json("org", "export", str(path))
    assert exported["bytes"] == path.stat().st_size
    same = run.json("org", "import", str(path))
    assert same["counts"] == {"create": 0, "change": 0, "same": 34, "refuse": 0}
    rows = read_roster(path.read_bytes())
    rows[2]["联系电话"] = "13900000003"
    rows.append({"党员编号": "ZA-M50", "姓名": "苏日娜", "所在党支部": "ZA-B3"})
    path.write_bytes(write_roster(rows))
    dry = run.json("org", "import", str(path), "--dry-run")
    assert dry["counts"]["create"] == 1 and dry["counts"]["change"] == 1
    assert run.json("org", "import", str(path), "--dry-run") == dry  # a dry run stores nothing
    done = run.json("org", "import", str(path), "--reason", "补录新党员")
    assert done["counts"] == dry["counts"] and done["ok"] is True
    again = run("org", "import", str(path))
    assert again.exit_code == 0 and "新增 0，修改 0" in again.output


def test_org_import_of_a_roster_with_a_bad_row_exits_2_and_stores_nothing(run: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(write_roster([{"党员编号": "ZA-M51", "姓名": "巴特尔", "所在党支部": "没有这个支部"}]))
    refused = run.refused("org", "import", str(path))
    assert refused["params"]["rows"] == [
        {"row": 2, "code": "ZA-M51", "problems": ["找不到党支部“没有这个支部”（请先在组织机构中建立）"]}
    ]
    text = run("org", "import", str(path))
    assert text.exit_code == 2 and "第 2 行 ZA-M51 巴特尔：拒绝" in text.output
    not_xlsx = tmp_path / "notes.xlsx"
    not_xlsx.write_text("hello")
    assert "不是有效的 Excel" in run.refused("org", "import", str(not_xlsx))["params"]["file"][0]


def test_everything_the_commands_did_verifies(run: Cli) -> None:
    verified = run("verify")
    assert verified.exit_code == 0 and verified.output.startswith("OK:")
