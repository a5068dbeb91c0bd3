"""What a delivered notification says: what happened, in the words people use for a case (新待办,
被退回, 即将到期, 已逾期, 被催办, 办结 …), with the case's title and a link to act on it.

The page shows the same words (`kind_word`). A notification's own title is the step's or the
outcome's name from the diagram, so the message reads in the case's words; English readers get the
English word for what happened, with the names as the diagram gives them.
"""

from __future__ import annotations

from dataclasses import dataclass

# kind → (Chinese, English): what happened to the person told.
KIND_WORDS: dict[str, tuple[str, str]] = {
    "task": ("新待办", "New task"),
    "returned": ("被退回", "Returned"),
    "reminder": ("即将到期", "Due soon"),
    "overdue": ("已逾期", "Overdue"),
    "urge": ("被催办", "Urged"),
    "copy": ("抄送给您", "Copied to you"),
    "transferred": ("转办给您", "Transferred to you"),
    "delegated": ("委派给您", "Delegated to you"),
    "resolved": ("委派已交还", "Delegation handed back"),
    "signer": ("请您加签", "Please co-sign"),
    "signed": ("加签人已签署", "Co-signed"),
    "approved": ("已批准", "Approved"),
    "rejected": ("未通过", "Not approved"),
    "revoked": ("已撤销", "Revoked"),
    "outcome": ("已办结", "Case closed"),
    "escalation": ("请督办", "For the branch"),
    "notice": ("通知", "Notice"),
}


def kind_word(kind: str, language: str = "zh_CN") -> str:
    chinese, english = KIND_WORDS.get(kind, (kind, kind))
    return english if language == "en" else chinese


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def compose(
    kind: str,
    title: str,
    body: str,
    case_title: str,
    link: str = "",
    language: str = "zh_CN",
) -> Message:
    """The subject names what happened and the step; the body the case, any note, and the link."""
    english = language == "en"
    subject = f"[{kind_word(kind, language)}] {title}" if english else f"【{kind_word(kind)}】{title}"
    lines = [(f"Case: {case_title}" if english else f"事项：{case_title}")] if case_title else []
    if body and body != case_title:
        lines.append(body)
    if link:
        lines.append(f"Open: {link}" if english else f"办理：{link}")
    return Message(subject[:250], "\n".join(lines) or subject)
