"""Rebuild every chained table from the log, in memory, and compare it with the database.

Folding the row changes of every event in chain order gives each chained table as the log says it
must be. Any row missing, extra or different in the database is reported with its table, key,
column and the event that should have produced it: a row changed behind the system's back cannot
hide, and neither can a permission that rests on one (an inbox row's assignee).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Event
from .tables import CHAINED, ChainedTable, encode_key, image, key_column, table_of


@dataclass(frozen=True)
class Finding:
    """One difference between a chained table and what the log says it must hold."""

    table: str
    key: Any
    column: str | None
    seq: int | None
    message: str
    instance_id: int | None = None  # the case the row belongs to, where it belongs to one

    def __str__(self) -> str:
        return f"{self.table} {self.key}: {self.message}"


@dataclass
class _Row:
    values: dict[str, Any]
    seqs: dict[str, int]  # the event that last set each column
    made_by: int


@dataclass
class Rebuilt:
    """The chained tables as the log says they must be; fed one event at a time, in chain order."""

    tables: dict[str, dict[Any, _Row]] = field(default_factory=lambda: {name: {} for name in CHAINED})
    deleted: dict[tuple[str, Any], int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def feed(self, event: Event) -> None:
        if not event.changes or event.changes == "[]":
            return
        try:
            changes = json.loads(event.changes)
            for change in changes:
                self._apply(event.seq, change)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            self.findings.append(
                Finding("event", event.seq, "changes", event.seq, f"its row changes cannot be read: {exc}")
            )

    def _apply(self, seq: int, change: dict[str, Any]) -> None:
        table, op, key = change["table"], change["op"], _hashable(change["key"])
        rows = self.tables.get(table)
        if rows is None:
            raise KeyError(f"table {table!r} is not chained")
        if op == "insert":
            values = dict(change["values"])
            rows[key] = _Row(values, dict.fromkeys(values, seq), seq)
            self.deleted.pop((table, key), None)
        elif op == "update":
            row = rows.get(key)
            if row is None:
                self.findings.append(
                    Finding(table, key, None, seq, f"event {seq} updates a row no earlier event made")
                )
                return
            row.values.update(change["values"])
            row.seqs.update(dict.fromkeys(change["values"], seq))
        elif op == "delete":
            rows.pop(key, None)
            self.deleted[(table, key)] = seq
        else:
            raise KeyError(f"unknown operation {op!r}")

    def digests(self) -> dict[str, str]:
        """Each chained table's digest as the log has it so far."""
        return {
            name: digest_rows({key: row.values for key, row in rows.items()})
            for name, rows in self.tables.items()
        }

    def compare(self, session: Session) -> list[Finding]:
        """Every difference between the tables and the log, table by table, key by key."""
        findings = list(self.findings)
        for name, spec in CHAINED.items():
            expected = self.tables[name]
            actual = dict(read_table(session, spec))
            for key in sorted(expected.keys() | actual.keys(), key=_sort_key):
                findings.extend(self._compare_row(name, key, expected.get(key), actual.get(key)))
        return findings

    def _compare_row(
        self, table: str, key: Any, expected: _Row | None, actual: dict[str, Any] | None
    ) -> list[Finding]:
        case = _case_of(table, key, expected.values if expected else actual)
        if expected is None:
            gone = self.deleted.get((table, key))
            why = f"event {gone} deleted it" if gone else "no event made this row"
            return [Finding(table, key, None, gone, f"is in the table, but {why}", case)]
        if actual is None:
            message = f"is missing: event {expected.made_by} made it"
            return [Finding(table, key, None, expected.made_by, message, case)]
        return [
            Finding(
                table,
                key,
                column,
                expected.seqs.get(column),
                f"{column} is {actual.get(column)!r}, but event {expected.seqs.get(column)} made it "
                f"{value!r}",
                case,
            )
            for column, value in expected.values.items()
            if actual.get(column) != value
        ]


# Columns by which a row names the case it belongs to, most direct first.
_CASE_COLUMNS = ("instance_id", "creation_instance_id", "division_instance_id", "revocation_instance_id")


def _case_of(table: str, key: Any, values: dict[str, Any] | None) -> int | None:
    """The instance a row belongs to: an instance itself, or a row naming its instance (a post
    names the case that created it, an area the division that drew it)."""
    if table == "process_instance":
        return int(key)
    for column in _CASE_COLUMNS:
        found = (values or {}).get(column)
        if isinstance(found, int):
            return found
    return None


def digest_rows(rows: dict[Any, dict[str, Any]]) -> str:
    """sha256 of a table's rows (key and image), in key order: what a published head pins."""
    hasher = hashlib.sha256()
    for key in sorted(rows, key=_sort_key):
        line = json.dumps([key, rows[key]], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        hasher.update(line.encode("utf-8") + b"\n")
    return hasher.hexdigest()


def read_table(session: Session, spec: ChainedTable) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Each row of a chained table as (logged key, image), as the journal would have written it."""
    table = table_of(spec.name)
    key = key_column(table).name
    for row in session.execute(select(table)).mappings():
        values = dict(row)
        yield _hashable(encode_key(spec, table, values[key])), image(spec, table, values)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _sort_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)
