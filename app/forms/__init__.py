"""The JSON Schema forms of user tasks (the files under ``forms/``), for the services and the pages.

A user task declares its form as a JSON Schema (a flat ``object`` whose properties are
strings, numbers, integers, booleans or arrays of strings) plus an optional UI schema in
react-jsonschema-form style.  This module turns that into:

* :func:`fields_for` – a list of :class:`FormField` to render with the
  ``render_fields`` macro of ``templates/_jsonform.html``;
* :func:`validate_submission` – jsonschema validation with Chinese messages per field;
* :func:`schema_problems` – deploy-time sanity check of a form definition.

Supported extensions: ``enumNames`` (labels for ``enum`` values, also ``ui:enumNames`` in
the UI schema), ``oneOf``/``anyOf`` lists of ``{"const": v, "title": label}`` as labelled
options, ``"x-default": "today"`` on date fields, and ajv-errors style ``errorMessage``
(a string, or a dict keyed by validator name) to override a property's messages.
"""

from app.forms.checks import schema_problems
from app.forms.common import WIDGETS
from app.forms.fields import FormField, fields_for
from app.forms.validation import validate_submission

__all__ = [
    "WIDGETS",
    "FormField",
    "fields_for",
    "schema_problems",
    "validate_submission",
]
