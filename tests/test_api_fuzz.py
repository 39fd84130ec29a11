"""Fuzz the JSON API with schemathesis against its own OpenAPI document (in-process, WSGI).

Every documented operation gets generated requests, valid and invalid ones, with a real token;
the checks are that no answer is a 500 and every answer's status code, content type and body
are the ones the document promises. Deterministic (derandomized) and bounded (few examples).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app.services import org
from app.services.actor import SYSTEM
from tests.helpers import register

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# HUAJIE_FUZZ_EXAMPLES=200 for a deeper (slower) run
FUZZ = settings(
    max_examples=int(os.environ.get("HUAJIE_FUZZ_EXAMPLES", "12")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _fuzz(app, db, username: str, mode: GenerationMode) -> dict[str, str]:
    """Run every operation; the first failure of each, keyed by operation."""
    register(db)  # a case, an instance and an open task, so small ids lead somewhere
    with db.write() as session:
        token = org.create_token(session, SYSTEM, username)
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.update(headers=headers)  # known to the generator: it does not negate them
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            case.call_and_validate(checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation without inputs to break
        except FailureGroup as exc:
            failures[operation.label] = str(exc)
    return failures


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_document_for_an_admin_token(app, db, mode):
    failures = _fuzz(app, db, "admin", mode)
    assert not failures, "\n\n".join(f"{op}: {text}" for op, text in failures.items())


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_document_for_a_court_token(app, db, mode):
    failures = _fuzz(app, db, "court", mode)
    assert not failures, "\n\n".join(f"{op}: {text}" for op, text in failures.items())
