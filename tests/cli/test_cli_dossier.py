"""`xianfeng dossier` and `xianfeng approval-form`: each format by the file's extension, the chain
head printed, the same refusals as the web, and an unknown extension refused before any work."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from pdf_support import flat, pdf_text, qr_codes
from support import establish_post

from xianfeng.engine.cli import cli
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ModelPost


class Cli:
    """The command line on the test's database (the kernel fixture's SQLite file)."""

    def __init__(self, kernel: Kernel) -> None:
        self.env = {
            "XIANFENG_DATA_DIR": str(kernel.settings.data_dir),
            "DATABASE_URL": kernel.settings.database_url,
            "XIANFENG_SQLITE_SYNCHRONOUS": "NORMAL",
            "XIANFENG_BASE_URL": "https://xianfeng.example",
        }

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=self.env, obj={}, catch_exceptions=False)

    def json(self, *args: str, status: int = 0) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == status, result.output
        return json.loads(result.output)


@pytest.fixture
def post(kernel: Kernel) -> ModelPost:
    post_id = establish_post(kernel)
    with kernel.db.unit_of_work(write=False) as uow:
        row = uow.session.get(ModelPost, post_id)
        assert row is not None
        uow.session.expunge(row)
        return row


@pytest.fixture
def run(kernel: Kernel) -> Cli:
    return Cli(kernel)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Where the commands write (the test's database lives in tmp_path itself)."""
    printed = tmp_path / "printed"
    printed.mkdir()
    return printed


def test_a_posts_dossier_is_written_as_pdf_with_its_chain_head(
    run: Cli, post: ModelPost, folder: Path
) -> None:
    out = folder / "post.pdf"
    written = run.json("dossier", "post", post.plate_no, "--out", str(out))
    assert written["path"] == str(out) and written["bytes"] == out.stat().st_size and written["verified"]
    content = flat(pdf_text(out.read_bytes()))
    assert (
        post.plate_no in content and written["head_hash"] in content and "审批意见：经党委会研究" in content
    )


def test_the_same_dossier_as_excel_and_json_holds_the_same_cases(
    run: Cli, post: ModelPost, folder: Path
) -> None:
    run.json("dossier", "post", str(post.id), "--out", str(folder / "post.xlsx"))
    run.json("dossier", "post", str(post.id), "--out", str(folder / "post.json"))
    book = openpyxl.load_workbook(io.BytesIO((folder / "post.xlsx").read_bytes()))
    data = json.loads((folder / "post.json").read_text(encoding="utf-8"))
    cases = [row[0] for row in book["案件"].iter_rows(min_row=2, values_only=True)]
    assert cases == [c["id"] for c in data["cases"]] == [post.creation_instance_id]


def test_a_file_whose_extension_names_no_format_is_refused_before_any_work(
    run: Cli, post: ModelPost, folder: Path
) -> None:
    refused = run.json("dossier", "post", str(post.id), "--out", str(folder / "post.docx"), status=2)
    assert refused["code"] == "rule_violation"
    assert (
        refused["message"]
        == "cannot tell the format from --out 'post.docx': name a .pdf, .xlsx or .json file"
    )
    plain = run("approval-form", str(post.creation_instance_id), "--out", str(folder / "form.xlsx"))
    assert plain.exit_code == 2 and "name a .pdf file" in plain.output
    assert list(folder.iterdir()) == []


def test_an_account_prints_only_what_its_role_and_branch_allow(
    run: Cli, post: ModelPost, folder: Path
) -> None:
    out = str(folder / "m.json")
    refused = run.json("dossier", "member", str(post.member_id), "--as", "secretary2", "--out", out, status=2)
    assert refused["message"] == f"member {post.member_id} belongs to another branch"
    assert run.json("dossier", "member", str(post.member_id), "--as", "secretary1", "--out", out)["verified"]
    missing = run.json("dossier", "area", "99", "--out", out, status=2)
    assert missing["message"] == "no responsibility area '99' (give its number)"


def test_an_approval_form_is_written_with_a_qr_code_to_the_case(
    run: Cli, post: ModelPost, folder: Path
) -> None:
    out = folder / "form.pdf"
    result = run("approval-form", str(post.creation_instance_id), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output and "chain head: " in result.output
    assert qr_codes(out.read_bytes()) == [f"https://xianfeng.example/instances/{post.creation_instance_id}"]
