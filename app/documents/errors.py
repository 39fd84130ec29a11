"""Error type raised by the official-document renderer."""

from __future__ import annotations


class DocumentError(ValueError):
    """An official document cannot be rendered (unknown kind, missing or invalid field).

    The message is in Chinese so it can be shown to case handlers as-is.
    """
