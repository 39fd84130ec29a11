"""Finding a matter by its title (事项名称) in the inbox: only for whoever may read the task
that submitted the title, in the rows and in the counts, on the page and through the API."""

from __future__ import annotations

import pytest

from app.config import ROOT
from app.services.actor import SYSTEM
from app.services.design import definitions
from app.services.identity import org
from app.services.reporting import inbox
from tests.helpers import actor
from tests.samples import PathData, load
from tests.test_mechanisms_service import _open_tasks, complete, start
from tests.test_web import login

pytestmark = pytest.mark.both_databases

TITLE = "对洪泽某农业合作社违法占地建设的限期拆除决定"
WORDS = "违法占地建设"  # a part of the title, as a person types it


def _submitted(db, settings) -> tuple[int, PathData]:
    """A 合法性审查 of GTZY whose matter (its title) is submitted, at the adviser's review."""
    path = PathData(load("legality_review")["paths"]["consulted_then_illegal"])
    instance_id = start(db, "legality_review", "gtzy")
    (submit,) = _open_tasks(db, instance_id)
    complete(db, settings, "gtzy", submit.id, path.next("submit_matter"))
    return instance_id, path


def _found(db, username: str, q: str) -> tuple[list[int], int]:
    """The tasks a search finds for the user, and the count shown beside it."""
    with db.read() as session:
        who = actor(db, username)
        rows = inbox.page(session, who, inbox.parse_filter({"q": q})).rows
        counted = inbox.counts(session, who, inbox.parse_filter({"q": q}))
    return [row.task.id for row in rows], counted.total


def _token(db, username: str) -> dict[str, str]:
    with db.write() as session:
        return {"Authorization": f"Bearer {org.create_token(session, SYSTEM, username)}"}


def test_the_adviser_finds_the_review_by_its_title_and_another_unit_does_not(
    app, client, db, settings
):
    instance_id, _ = _submitted(db, settings)
    (review,) = _open_tasks(db, instance_id)
    assert review.bpmn_id == "adviser_review"
    assert _found(db, "gtzy_lawyer", WORDS) == ([review.id], 1)
    assert _found(db, "scjg_lawyer", WORDS) == ([], 0)  # another unit: no row, no count
    assert _found(db, "gtzy_lawyer", "某地块") == ([], 0)  # not this matter's title

    adviser, other = _token(db, "gtzy_lawyer"), _token(db, "scjg_lawyer")
    listed = client.get(f"/api/v1/tasks?q={WORDS}", headers=adviser)
    assert [t["id"] for t in listed.json] == [review.id]
    assert client.get(f"/api/v1/tasks/counts?q={WORDS}", headers=adviser).json["total"] == 1
    assert client.get(f"/api/v1/tasks?q={WORDS}", headers=other).json == []
    assert client.get(f"/api/v1/tasks/counts?q={WORDS}", headers=other).json["total"] == 0

    login(client, "gtzy_lawyer")
    page = client.get(f"/?q={WORDS}").get_data(as_text=True)
    assert f'href="/tasks/{review.id}"' in page and "全部流程（1）" in page
    other_browser = app.test_client()
    login(other_browser, "scjg_lawyer")
    page = other_browser.get(f"/?q={WORDS}").get_data(as_text=True)
    assert f'href="/tasks/{review.id}"' not in page and "全部流程（0）" in page


def _at_consultation(db, settings) -> int:
    """The bureau's 司法局会商 of a review whose matter is submitted (key area: consulted)."""
    instance_id, path = _submitted(db, settings)
    (review,) = _open_tasks(db, instance_id)
    complete(db, settings, "gtzy_lawyer", review.id, path.next("adviser_review"))
    (consultation,) = _open_tasks(db, instance_id)
    assert consultation.bpmn_id == "joint_consultation"
    return consultation.id


def test_a_title_is_not_found_by_someone_the_submitting_task_is_hidden_from(db, settings):
    """The bureau reads what an agency submits for review, so it finds its consultation by the
    matter's title; not in a version of the diagram whose 提交审查事项 names
    ``readers="own_unit"``: there it still works the consultation, but the title it may not
    read finds nothing, and no count betrays it."""
    readable = _at_consultation(db, settings)
    assert _found(db, "bureau", WORDS) == ([readable], 1)
    xml = (ROOT / "processes" / "legality_review.bpmn").read_text(encoding="utf-8")
    anchor = 'value="legality_review/submit_matter.uischema.json" />'
    assert anchor in xml
    edited = xml.replace(
        anchor, anchor + '\n          <spiffworkflow:property name="readers" value="own_unit" />'
    )
    with db.write() as session:
        definitions.deploy(session, SYSTEM, edited.encode(), settings.forms_dir)
    hidden = _at_consultation(db, settings)
    with db.read() as session:
        everything = inbox.page(session, actor(db, "bureau"), inbox.parse_filter({})).rows
    assert hidden in [row.task.id for row in everything]  # the bureau's own task
    assert _found(db, "bureau", WORDS) == ([readable], 1)
    assert _found(db, "auditor", WORDS) == ([], 0)  # reads everything, works nothing


def test_the_migration_keeps_the_titles_submitted_before_it(db, settings):
    from alembic import command

    from app.migrate import alembic_config

    instance_id, _ = _submitted(db, settings)
    (review,) = _open_tasks(db, instance_id)
    config = alembic_config(settings.database_url)
    command.downgrade(config, "0025-1")
    command.upgrade(config, "head")
    assert _found(db, "gtzy_lawyer", WORDS) == ([review.id], 1)
