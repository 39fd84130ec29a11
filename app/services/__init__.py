"""The services: every state change, each in one transaction with its audit event."""

# the statistics' aggregates follow every flush of the facts they count
from app.services.reporting import aggregate_sync as _aggregate_sync  # noqa: F401
