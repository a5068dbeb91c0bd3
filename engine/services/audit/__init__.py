"""What auditors do: verify the chain and every record against it, search cases, step through a
case's history, and print evidence. One module per question an auditor asks."""

from . import anchors
from .replay import VERB_KINDS, replay_instance
from .verify import VerifyReport, count_events, verify

__all__ = [
    "VERB_KINDS",
    "VerifyReport",
    "anchors",
    "count_events",
    "replay_instance",
    "verify",
]
