"""The codes of registers that procedures decide, with their words, from the current diagrams.

An assessment's outcome is what the periodic assessment's decision table gives; which outcomes
there are, in which order, and what they are called in Chinese and English is the diagram's
(`values.*` on its start event), read from the published version so that the statistics, a
member's page and the evidence dossier follow an administrator's change without a release.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel import Kernel
from ..models import ProcessDefinition
from ..process.case_fields import Words
from ..process.operation_values import operation_values

# The operation that fills the assessment register, and its parameter that becomes the outcome.
ASSESSMENT_OUTCOME = ("record_assessment", "outcome")


def assessment_outcomes(kernel: Kernel, session: Session) -> dict[str, Words]:
    """Each outcome code the current diagrams declare, in their order, with its words; a code two
    procedures declare keeps the words of the first by process key."""
    keys = session.execute(select(ProcessDefinition.process_key).order_by(ProcessDefinition.process_key))
    found: dict[str, Words] = {}
    for key in list(keys.scalars()):
        for code, words in operation_values(
            kernel.catalog.current(session, key), *ASSESSMENT_OUTCOME
        ).items():
            found.setdefault(code, words)
    return found
