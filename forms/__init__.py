"""Task forms: one JSON file per user task (JSON Schema draft 2020-12, zh-CN and en labels, UI hints).

The procedure lives in `processes/` and here, not in Python: the BPMN diagrams name these forms and
their field names, and administrators may edit both. This package loads a form file, refuses a
broken one with a precise message (`load_form`), and validates submitted data against it
(`FormDefinition.validate`), reporting every problem by field label in English and Chinese.
"""

from xianfeng.forms.definition import FormDefinition, SourceCheck
from xianfeng.forms.errors import FormDefinitionError, FormValidationError
from xianfeng.forms.loader import builtin_form_files, load_form

__all__ = [
    "FormDefinition",
    "FormDefinitionError",
    "FormValidationError",
    "SourceCheck",
    "builtin_form_files",
    "load_form",
]
