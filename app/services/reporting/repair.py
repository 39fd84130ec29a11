"""Rebuilding the statistics' aggregates from the facts (``huajie stats rebuild``): after a
bulk load that bypassed the services, or should they ever disagree with the facts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.services.actor import Actor
from app.services.identity.permissions import Action, require
from app.services.records import archive_store, audit
from app.services.reporting import aggregates
from app.services.uow import unit_of_work


@unit_of_work
def rebuild(session: Session, actor: Actor) -> dict[str, int]:
    """Every aggregate recomputed in one transaction; how many facts each statistic counts."""
    require(actor.role, Action.REBUILD_STATS)
    archived = None
    if archive_store.ready(session.connection()):  # archived facts were counted, and still are
        with archive_store.archive_first(session):
            archived = aggregates.facts(session.connection())
    counted = aggregates.rebuild(session.connection(), archived)
    audit.record(session, actor, "stats.rebuild", counted=counted)
    return counted
