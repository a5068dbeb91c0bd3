"""What of a case's answers a reader may see: the one rule every page, the API, the history at any
point and the printed dossier apply.

A user task whose diagram sets `answersReadBy` (roles, comma-separated; `process.answers`) holds
personal answers: a democratic evaluation's scores (民主测评), paper ballots. Those are read by
the roles named and by whoever gave them; everybody else who may read the case sees that the
step was done, and the tally the diagram keeps, but not what was answered. The command-line
operator, who holds the database itself, reads everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..actor import Actor
from ..models.org import ROLE_OPERATOR
from ..process.answers import personal_answers
from ..process.catalog import LoadedVersion

WITHHELD = "withheld"  # the key a withheld payload carries, for pages and API clients


@dataclass(frozen=True)
class Disclosure:
    """Which elements of one pinned version hold personal answers, who reads them, and the data
    keys those answers live under while the case runs (task variables, multi-instance outputs)."""

    readers: dict[str, frozenset[str]]
    keys: dict[str, frozenset[str]]

    def may_read(self, reader: Actor, element: str, given_by: int | None) -> bool:
        roles = self.readers.get(element)
        if roles is None or reader.has(ROLE_OPERATOR):
            return True
        if given_by is not None and reader.user_id == given_by:
            return True
        return bool(reader.roles & roles)

    def payload(self, reader: Actor, element: str, given_by: int | None, payload: Any) -> Any:
        """An event's payload as the reader may see it: the answers withheld, the rest kept."""
        if self.may_read(reader, element, given_by) or not isinstance(payload, dict) or "data" not in payload:
            return payload
        return {**{k: v for k, v in payload.items() if k != "data"}, "data": {}, WITHHELD: True}

    def data(self, reader: Actor, data: dict[str, Any]) -> dict[str, Any]:
        """A case's data as the reader may see it: keys holding answers the reader may not read
        are left out."""
        hidden = {
            key
            for element, keys in self.keys.items()
            if not self.may_read(reader, element, None)
            for key in keys
        }
        return {key: value for key, value in data.items() if key not in hidden} if hidden else data


def disclosure_of(version: LoadedVersion) -> Disclosure:
    found = personal_answers(version)
    return Disclosure(found.readers, found.keys)
