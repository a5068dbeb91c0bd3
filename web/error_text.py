"""An error's detail line in the page's language.

The engine's messages are English (`engine/errors.py`); the pages are Chinese first. Each message
people can meet on a page is read here by its shape and said again in Chinese with the same names
and numbers; a message with no Chinese shape here shows no detail line on a Chinese page (its
title, from the error's code, still says what went wrong), rather than a line of English. A
message the engine wrote in Chinese shows no detail on an English page, for the same reason.
Requirement codes ("（R8）") are never shown.
"""

from __future__ import annotations

import re

from flask_babel import get_locale

from xianfeng.engine.errors import XianfengError

_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
_CODES = re.compile(r"\s*[（(]\s*R\d+(?:\.\d+)?(?:\s*[、,，:：][^）)]*)?[)）]")
_ROLES = {
    "member": "党员",
    "branch": "党支部",
    "committee": "镇党委",
    "admin": "管理员",
    "auditor": "审计",
    "public": "群众",
}

# (the message's shape, its Chinese); groups are put back by name.
_SHAPES: tuple[tuple[str, str], ...] = (
    (r"no instance (?P<n>\d+)", "找不到第 {n} 号事项"),
    (r"no case (?P<n>\d+)", "找不到第 {n} 号事项"),
    (r"no ready task (?P<t>\S+)", "该待办不存在或已办理完毕"),
    (r"no draft (?P<n>\d+)", "找不到第 {n} 号草稿"),
    (r"no what-if run '?(?P<n>[^']+)'?", "找不到该推演记录（{n}）"),
    (r"no verify run (?P<n>\d+)", "找不到第 {n} 号核验记录"),
    (r"no member (?P<n>\d+)", "找不到该党员（{n}）"),
    (r"member (?P<n>\d+) does not exist", "找不到该党员（{n}）"),
    (r"no model post (?P<n>\d+)", "找不到该示范岗（{n}）"),
    (r"no responsibility area (?P<n>\S+?)(?: \(give its number\))?", "找不到该责任区（{n}）"),
    (r"no notice (?P<n>\d+)(?: on the board)?", "找不到该公示（{n}）"),
    (r"no objection with receipt number (?P<n>\S+)", "找不到回执号为 {n} 的异议"),
    (r"no work record (?P<n>\d+)", "找不到该工作记录（{n}）"),
    (r"no failed delivery (?P<n>\d+)", "找不到该投递记录（{n}）"),
    (r"no attachment \S+ here", "找不到该附件"),
    (r"no (?:active )?account '?(?P<n>[^']*)'?", "找不到可用的账号 {n}"),
    (r"no account (?P<n>\d+)", "找不到该账号（{n}）"),
    (r"no branch (?P<n>\S+)", "找不到该党支部（{n}）"),
    (r"no process '?(?P<n>[^']+)'? is deployed", "没有已发布的流程 {n}"),
    (r"process version (?P<n>\d+) does not exist", "找不到该流程版本（{n}）"),
    (
        r"no year '?(?P<y>[^']*)'? \(give a year from (?P<a>\d+) to (?P<b>\d+)\)",
        "年份“{y}”无效，请填写 {a} 至 {b} 之间的年份",
    ),
    (r"no statistics for the year (?P<y>\S+)", "没有 {y} 年的统计"),
    (r"no dossier of kind '?(?P<k>[^']*)'?.*", "没有这类档案：{k}"),
    (r"no dossier format '?(?P<k>[^']*)'?.*", "没有这种档案格式：{k}"),
    (r"(?:instance|case) (?P<n>\d+) belongs to another branch", "第 {n} 号事项属于其他党支部"),
    (r"model post \S+ belongs to another branch", "该示范岗属于其他党支部"),
    (r"responsibility area \S+ belongs to another branch", "该责任区属于其他党支部"),
    (r"work record \d+ belongs to another branch", "该工作记录属于其他党支部"),
    (r"task (?P<t>.+) belongs to another branch", "“{t}”属于其他党支部"),
    (r"task (?P<t>.+) is assigned to another person", "“{t}”已指定由他人办理"),
    (r"task (?P<t>.+) needs the role '(?P<r>\w+)'; .*", "“{t}”须由{r}办理"),
    (r"task \S+ is answered by the public through its single-use link", "该事项由群众通过一次性链接填写"),
    (r"task (?P<t>.+) is not delegated to \S+", "“{t}”没有委派给您"),
    (r"\S+ cannot open task (?P<t>.+)", "您不能打开“{t}”"),
    (r"\S+ has no signature pending on (?P<t>.+)", "“{t}”没有待您签署的加签"),
    (
        r"\S+ has no acting role \(member, branch, committee\)",
        "只有党员、党支部和镇党委账号可以参与办理（如抄送、加签）",
    ),
    (
        r"\S+ may not hand out the public links of instance (?P<n>\d+)",
        "您不能分发第 {n} 号事项的群众测评链接",
    ),
    (r"\S+ may not urge tasks of instance (?P<n>\d+)", "您不能催办第 {n} 号事项的待办"),
    (r"\S+ may not read the organisation and accounts", "您无权查看组织机构与账号"),
    (r"\S+ may not read the procedures' versions", "您无权查看流程版本"),
    (r"\S+ may not read the commendation ledger", "您无权查看评先选优台账"),
    (r"\S+ may not search cases: .*", "案件查询限审计、镇党委、管理员和党支部使用"),
    (r"\S+ may not verify: .*", "数据核验限审计、镇党委和党支部使用"),
    (r"\S+ may not print evidence: .*", "您无权打印该证据材料"),
    (r"\S+ may not see statistics .*", "统计分析限镇党委、审计、管理员和党支部查看"),
    (r"\S+ may see the statistics of their own branch only", "党支部只能查看本支部的统计"),
    (r"\S+ is not an administrator; deliveries are the administrator's", "通知投递由管理员处理"),
    (r"\S+ is not an administrator", "此操作需要管理员账号"),
    (r"only an administrator intervenes in a case; .*", "只有管理员可以干预案件"),
    (r"only an administrator changes procedures; .*", "只有管理员可以修改流程"),
    (r"\S+ is not a Party member's account: there is no .* page", "“我的”页面只对党员账号开放"),
    (r"\S+ holds no active responsibility area", "您目前没有负责的责任区"),
    (r"\S+ holds no place in responsibility area \d+", "您不是该责任区的党员"),
    (r"responsibility area \S+ is not active", "该责任区未生效"),
    (r"process (?P<p>\S+) is started by the role '(?P<r>\w+)'; .*", "该流程须由{r}发起"),
    (r"process \S+ is not started by hand.*", "该流程不能手动发起"),
    (r"\S+ belongs to no branch and cannot start \S+", "您的账号不属于任何党支部，不能发起该流程"),
    (r"case (?P<n>\d+) is suspended by an administrator.*", "第 {n} 号事项已被管理员暂停，恢复前不能办理"),
    (r"case (?P<n>\d+) cannot be withdrawn: .*", "第 {n} 号事项不能撤回：已有他人办理，或流程不允许撤回"),
    (r"a withdrawal needs a reason of at least 2 characters", "撤回须说明理由（至少 2 个字）"),
    (
        r"(?P<w>a transfer|a delegation|a return|adding co-signers|a signature|giving a delegated task back) "
        r"needs a reason of at least 2 characters",
        "请填写理由（至少 2 个字）",
    ),
    (
        r".+ cannot be [a-z -]+ \(\S+\): its diagram allows .*",
        "该步骤的流程图不允许此操作",
    ),
    (r".+ does not allow \w+", "该步骤的流程图不允许此操作"),
    (r".+ cannot be copied \(抄送\): its diagram does not allow it", "该步骤的流程图不允许抄送"),
    (r"(?P<t>.+) was urged at (?P<a>\S+); urge again after (?P<b>\S+)", "“{t}”刚催办过，请稍后再催"),
    (r"(?P<t>.+) waits for the co-signers (?P<p>.+)", "“{t}”须等加签人（{p}）签署后才能办理"),
    (r"(?P<t>.+) is delegated: .*", "“{t}”已委派他人，须交还后才能办理"),
    (
        r"the task is delegated; it must come back before it can be transferred",
        "该待办已委派他人，须交还后才能转办",
    ),
    (r"the task is already delegated", "该待办已委派他人"),
    (r"a task cannot be (?:transferred|delegated) to oneself", "不能转办或委派给自己"),
    (r"one cannot add oneself as co-signer", "不能把自己加为加签人"),
    (r"name at least one person to (?:add as co-signer|copy to)", "请至少选择一人"),
    (r"choose the person first", "请先选择人员"),
    (
        r"(?P<p>\S+) cannot act on (?P<t>.+): it needs the role '(?P<r>\w+)' within the task's branch",
        "{p} 不能办理“{t}”：须为本支部的{r}",
    ),
    (
        r"(?P<p>\S+) is not someone this task can be delegated to.*",
        "不能委派给 {p}：须为本支部的党员、党支部或镇党委账号",
    ),
    (r"(?P<p>\S+) cannot co-sign this task: .*", "{p} 不能加签：须为能查看本事项的党员、党支部或镇党委账号"),
    (
        r"(?P<p>\S+) may not read case (?P<n>\d+), so it cannot be copied to them",
        "不能抄送给 {p}：其无权查看第 {n} 号事项",
    ),
    (
        r"(?P<t>\S+) has not run yet in this instance, so there is nothing to return to",
        "该步骤尚未办理，不能退回到此",
    ),
    (r"no person picker for .*", "没有这种人员选择"),
    (r"\S+ needs the task it acts on", "请指明所办理的待办"),
    (
        r"the notice period of notice \d+ is over; objections are no longer taken",
        "公示期已结束，不再受理异议",
    ),
    (r"choose two versions to compare.*", "请选择要比较的两个版本"),
    (r"draft (?P<n>\d+) is (?P<s>\w+), not open", "第 {n} 号草稿已关闭"),
    (r"case (?P<n>\d+) has nothing due to run again", "第 {n} 号事项没有需要重试的步骤"),
    (r"case (?P<n>\d+) has no open task \S+", "第 {n} 号事项没有该待办"),
    (r"case (?P<n>\d+) is \w+; this intervention needs it .*", "第 {n} 号事项当前状态不能进行此项干预"),
)
_COMPILED = tuple((re.compile(shape), chinese) for shape, chinese in _SHAPES)


def detail(error: XianfengError) -> str:
    """The error's detail line for the page's language, or "" when it has none in that language."""
    message = _CODES.sub("", error.message).strip()
    if str(get_locale()) == "en":
        return "" if _HAN.search(message) else message
    for shape, chinese in _COMPILED:
        found = shape.fullmatch(message)
        if found:
            return chinese.format(
                **{k: _ROLES.get(v, v) for k, v in found.groupdict().items() if v is not None}
            )
    # A message the engine wrote in Chinese, with no English words in it.
    return message if _HAN.search(message) and not _LATIN_WORD.search(message) else ""
