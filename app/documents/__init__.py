"""Official documents (公文) of the administrative-dispute mediation workflow.

>>> from app.documents import render_document, DOCUMENT_KINDS, DocumentError
>>> data = render_document("assignment_notice", fields)  # .docx bytes

Layout after GB/T 9704-2012; see :mod:`app.documents.render`. Wording per kind is in the
``kinds_*`` modules, one per mechanism (:mod:`app.documents.kind` says what a kind is); field
validation in :mod:`app.documents.fields`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .blocks import DocumentSpec
from .errors import DocumentError
from .fields import Values
from .kinds_accountability import KINDS as ACCOUNTABILITY_KINDS
from .kinds_correction import KINDS as CORRECTION_KINDS
from .kinds_court import KINDS as COURT_KINDS
from .kinds_legality import KINDS as LEGALITY_KINDS
from .kinds_mediation import KINDS as MEDIATION_KINDS
from .kinds_review import KINDS as REVIEW_KINDS
from .kinds_supervision import KINDS as SUPERVISION_KINDS
from .kinds_trial import KINDS as TRIAL_KINDS
from .render import render_spec

KINDS = {
    **MEDIATION_KINDS,
    **LEGALITY_KINDS,
    **SUPERVISION_KINDS,
    **CORRECTION_KINDS,
    **COURT_KINDS,
    **TRIAL_KINDS,
    **ACCOUNTABILITY_KINDS,
    **REVIEW_KINDS,
}

__all__ = [
    "DOCUMENT_KINDS",
    "REQUIRED_FIELDS",
    "DocumentError",
    "document_title",
    "render_document",
]

#: kind key -> official title
DOCUMENT_KINDS: dict[str, str] = {key: spec.title for key, spec in KINDS.items()}

#: kind key -> names of the fields that must be present and non-empty
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {key: spec.required for key, spec in KINDS.items()}


def document_title(kind: str, fields: Mapping[str, Any]) -> str:
    """The title the document of this kind carries for these fields (a review of a
    reconsideration decision is titled as such)."""
    spec = KINDS[kind]
    return spec.title_of(Values(fields, ()))


def render_document(kind: str, fields: Mapping[str, Any]) -> bytes:
    """Render the .docx for `kind` from `fields`.

    Deterministic for the same input (so sha256 is stable): core properties
    created/modified and the zip timestamps are derived from ``fields['issued_on']``.

    Raises :class:`DocumentError` for an unknown kind or a missing/invalid field.
    """
    spec = KINDS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        known = "、".join(KINDS)
        raise DocumentError(f"未知的公文类型：{kind!r}（可选：{known}）")
    values = Values(fields, spec.required)
    document = DocumentSpec(
        kind=kind,
        title=spec.title_of(values),
        issuer=values.text("issuer"),
        doc_no=values.text("doc_no"),
        blocks=spec.build(values),
    )
    return render_spec(document, values.date_value("issued_on"))
