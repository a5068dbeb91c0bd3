"""Which tables are on the chain, and how one of their rows is written down in the log.

Every table people rely on is *chained*: each insert, update and delete of one of its rows is
recorded in the event that made it, as a row image (`RowChange`). `verify` folds those images in
chain order and compares the result with the table, so a row changed behind the system's back is
found with its table, key and column. The rest are *unchained*, each with the reason why.

A row image holds every column in a database-independent spelling (`encode`): times as UTC ISO
8601 with microseconds, numbers of fixed scale as decimal strings, JSON canonically, bytes as their
sha256. Columns that would put a secret into the log (a password hash) or that are proven by other
means (the workflow snapshot, by replay; an instance's head hash, by the chain) are left out, and a
secret primary key (a single-use link's token) is written as its sha256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, Integer, LargeBinary, Numeric, Table

from ..models import Base
from ..models.base import UtcDateTime


@dataclass(frozen=True)
class ChainedTable:
    """How the rows of one chained table are written in the log."""

    name: str
    omit: frozenset[str] = frozenset()
    secret_key: bool = False  # the primary key is a bearer secret: log its sha256 instead


CHAINED: dict[str, ChainedTable] = {
    spec.name: spec
    for spec in (
        # The organisation and who may act.
        ChainedTable("town"),
        ChainedTable("branch"),
        ChainedTable("village"),
        ChainedTable("member"),
        ChainedTable("app_user", omit=frozenset({"password_hash", "language", "credentials_version"})),
        ChainedTable("user_role"),
        ChainedTable("calendar_day"),
        # What is deployed, and what runs on it.
        ChainedTable("artifact"),
        ChainedTable("process_version"),
        ChainedTable("process_definition"),
        ChainedTable("process_instance", omit=frozenset({"state_json", "head_hash"})),
        ChainedTable("start_number"),
        ChainedTable("schedule_run"),
        # The projections of running instances: inboxes, timers, links, messages.
        ChainedTable("human_task", omit=frozenset({"reminded_at", "escalated_at"})),
        ChainedTable("timer"),
        ChainedTable("public_link", secret_key=True),
        ChainedTable("pending_message"),
        ChainedTable("task_signer"),
        ChainedTable("task_copy", omit=frozenset({"read_at"})),
        ChainedTable("attachment"),
        # The registers.
        ChainedTable("model_post"),
        ChainedTable("counter"),
        ChainedTable("public_notice"),
        ChainedTable("objection"),
        ChainedTable("survey"),
        ChainedTable("survey_link", secret_key=True),
        ChainedTable("survey_response"),
        ChainedTable("assessment_record"),
        ChainedTable("rectification"),
        ChainedTable("reward"),
        ChainedTable("commendation_mark"),
        ChainedTable("criticism"),
        ChainedTable("responsibility_area"),
        ChainedTable("area_member"),
        ChainedTable("area_work_record"),
        ChainedTable("work_record_comment"),
        ChainedTable("area_goal"),
        ChainedTable("area_exemption"),
        ChainedTable("area_disclosure"),
        ChainedTable("village_comment"),
    )
}

UNCHAINED: dict[str, str] = {
    "event": "the chain itself",
    "chain_head": "the heads of the chain's shards, checked against each shard's last event",
    "notification": "an outbox of messages to people, not a record (its read marks change freely)",
    "verify_run": "the auditors' background verify jobs and their reports",
    "replay_checkpoint": "where verify last replayed each case cleanly: a sealed cache of its work",
    "notification_delivery": "the outbox's delivery attempts by e-mail, robots and SMS, not a record",
    "step_timing": "statistics folded from the log (how long each task waited), rebuilt from it at will",
    "stats_cursor": "how far the statistics have folded the log",
    "stats_shard_cursor": "how far the statistics have folded each shard of the log",
    "process_draft": "an administrator's unpublished work; publishing it is the chained event",
    "rate_limit": "counters of abuse limits (objections, sign-in failures) shared by server processes",
}

# Columns left out of row images that are not secrets but bookkeeping of notifications: whether a
# reminder or an escalation went out, and whether a copy was read, are not records people rely on.
# An account's credentials_version is session bookkeeping beside its password hash: it moves at
# every sign-out, and it can only ever end sessions, never grant anything.


def table_of(name: str) -> Table:
    return Base.metadata.tables[name]


def key_column(table: Table) -> Column[Any]:
    (column,) = table.primary_key.columns
    return column


def _numeric(kind: Numeric[Any], value: Any) -> str:
    scale = kind.scale if kind.scale is not None else 0
    return str(Decimal(str(value)).quantize(Decimal(1).scaleb(-scale)))


# Checked in order: UtcDateTime before anything else, Numeric before Integer.
_ENCODERS: tuple[tuple[type, Any], ...] = (
    (UtcDateTime, lambda _k, v: v.astimezone(dt.UTC).isoformat(timespec="microseconds")),
    (Date, lambda _k, v: v.isoformat()),
    (Boolean, lambda _k, v: bool(v)),
    (Numeric, _numeric),
    (Integer, lambda _k, v: int(v)),
    (JSON, lambda _k, v: json.loads(json.dumps(v, sort_keys=True, ensure_ascii=False))),
    (LargeBinary, lambda _k, v: hashlib.sha256(bytes(v)).hexdigest()),
)


def encode(column: Column[Any], value: Any) -> Any:
    """The database-independent spelling of one value of `column` (see the module docstring)."""
    if value is None:
        return None
    for kind, spell in _ENCODERS:
        if isinstance(column.type, kind):
            return spell(column.type, value)
    return str(value)


def encode_key(spec: ChainedTable, table: Table, value: Any) -> Any:
    encoded = encode(key_column(table), value)
    if spec.secret_key:
        return hashlib.sha256(str(encoded).encode("utf-8")).hexdigest()
    return encoded


def image(spec: ChainedTable, table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """The logged columns of `values` (a whole row or the columns an update sets), encoded."""
    key = key_column(table).name
    return {
        name: encode(table.c[name], value)
        for name, value in values.items()
        if name != key and name not in spec.omit and name in table.c
    }


def full_row(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """An inserted row as the database will hold it: the given values, and each column's scalar
    default (or NULL) for the rest."""
    row = dict(values)
    for column in table.columns:
        if column.name not in row:
            default = column.default
            row[column.name] = (
                getattr(default, "arg", None) if default is not None and default.is_scalar else None
            )
    return row
