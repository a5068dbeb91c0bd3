"""What a diagram says the value it hands to an operation may be: the codes and their words.

A register keeps the code an operation was handed (`record_assessment` stores its `outcome`). The
diagram that calls the operation names, in the parameter, the variable it hands over, and declares
that variable's codes on its start event (`values.<variable>`, "code=中文|English;…", in order).
Following that link keeps the codes, their order and their words in the diagram, so an
administrator who renames or adds one changes every page that words the register.
"""

from __future__ import annotations

from .case_fields import Words, declared_values
from .catalog import LoadedVersion


def operation_values(version: LoadedVersion, operation: str, parameter: str) -> dict[str, Words]:
    """The codes the version declares for what it hands to `operation` as `parameter`, in order;
    empty when it calls no such operation or declares nothing for the value it hands over."""
    for spec in [version.spec, *version.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "operation_name", None) != operation:
                continue
            param = (getattr(task_spec, "operation_params", None) or {}).get(parameter) or {}
            found = declared_values(version, str(param.get("value", "")).strip())
            if found:
                return found
    return {}
