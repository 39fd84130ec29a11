"""Domain errors; the web layer maps each to one HTTP status and a Chinese message."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class InvalidInput(ServiceError):
    """Bad input; ``errors`` maps field names to messages ("" for the whole request)."""

    status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {"": [message]}


class PayloadTooLarge(InvalidInput):
    """A request larger than the limit its field names."""

    status = 413


class Archived(Conflict):
    """The record was moved to the archive (已归档): it is read, never changed again."""
