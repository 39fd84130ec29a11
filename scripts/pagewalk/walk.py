"""``scripts/bench --only pages``: every page on the demo data, through the production server.

A fresh data folder set up as ``huajie init --demo`` does (the demo units and users, every
process in ``processes/`` deployed), then the office's work run through the service layer: every
story of the scale benchmark's catalogue (``scale.templates``: court cases mediated, judged,
reviewed; legality reviews, enforcement decisions, supervision, self-correction …), finished
and still running, with their documents and materials, and one incident. Served with ``huajie
serve --workers 3`` on the real clock, each page is requested by the user who sees it
(``pagewalk.catalogue``), 30 times after one unmeasured request.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scale import measure
from scale.run import WORKERS, served
from scale.stories import Office
from scale.templates import build

from app import clock
from app.demo import demo_password
from app.services.actor import SYSTEM
from app.services.design import definitions
from app.services.execution import instances
from app.services.records import pdf
from pagewalk import catalogue, client

SEED = 19
ROOT = Path(__file__).resolve().parents[2]
FAILING = ROOT / "tests" / "samples" / "checks" / "runtime_failure.bpmn"


def _incident(office: Office) -> None:
    """A diagram whose first script fails without its data: an instance stops in an incident."""
    with office.db.write() as session:
        definition = definitions.deploy(session, SYSTEM, FAILING.read_bytes(), ROOT / "forms",
                                        "incident_demo.bpmn")  # fmt: skip
        instances.start(session, office.actor("gtzy"), definition, {})


def run(root: Path, log: client.Log) -> dict[str, Any]:
    started = time.perf_counter()
    present = datetime.now(UTC).replace(microsecond=0)
    fixed = os.environ.pop("HUAJIE_NOW", None)
    try:
        office, templates = build(root / "demo", SEED, present)
        _incident(office)
        log(f"pages: demo office of {len(templates)} stories in "
            f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        os.environ.pop("HUAJIE_NOW", None)  # the stories moved the clock: back to the real one
        db = office.db
        caught_up = measure.catch_up(db)
        samples = catalogue.find_samples(db, clock.to_local(clock.now()).date())
        samples.calendar_token = client.calendar_token(db, "center")
        pages = catalogue.pages(samples, pdf=pdf.available())
        if not pdf.available():
            log("pages: LibreOffice is not installed: 文书 PDF is not walked")
        load_before = os.getloadavg()
        with served(root / "demo", None, root / "serve-pages.log") as (port, server_pid):
            requester = client.Client(port, db, demo_password)
            client.warm_up(requester, {user for user, _ in pages.values()}, log)
            figures = client.measure(requester, pages, log, server_pid)
        db.dispose()
    finally:
        if fixed is not None:
            os.environ["HUAJIE_NOW"] = fixed
    return {
        "pages": figures,
        "pages_over_300ms": client.over_limit(figures),
        "pages_failed": client.failed(figures),
        "pages_pdf": pdf.available(),  # without LibreOffice the PDF page is not walked
        "pages_workers": WORKERS,
        "pages_timers_caught_up": caught_up,
        # the machine's 1/5/15-minute load before and after the walk (2 cores: above 2, the
        # pages wait for a core)
        "pages_load_average": [
            [round(x, 2) for x in load_before],
            [round(x, 2) for x in os.getloadavg()],
        ],  # fmt: skip
    }
