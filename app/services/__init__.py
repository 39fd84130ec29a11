"""The services: every state change, each in one transaction with its audit event."""

# the statistics' aggregates follow every flush of the facts they count
from app.services.reporting import aggregates as _aggregates  # noqa: F401
