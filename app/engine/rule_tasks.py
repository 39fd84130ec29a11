"""Business rule tasks whose decision is missing or has problems, at deploy: SpiffWorkflow's own
words for a missing one (a problem's ``detail``), and an empty stand-in table so that the engine
parses the diagram past such a task and names the diagram's own problems in the same answer
(the engine stops at its first problem)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from app.engine import wording

DMN = "https://www.omg.org/spec/DMN/20191111/MODEL/"
MISSING = "No DMN Diagram available"  # how SpiffWorkflow starts the words for a missing table


def missing_words(decision_id: str, task: Any, documents: Sequence[tuple[str, Any]]) -> str:
    """What SpiffWorkflow says of the rule task ``task`` calling ``decision_id`` when only
    ``documents`` (file name, DMN document) are uploaded; "" when it finds the decision."""
    parser = SpiffBpmnParser(validator=None)
    try:
        for filename, document in documents:
            parser.add_dmn_xml(document, filename)
        parser.get_engine(decision_id, task)
    except ValidationException as exc:
        return wording.shorten(str(exc))
    return ""


def stand_in(decision_id: str) -> tuple[str, Any]:
    """An empty decision table with the id ``decision_id``, as (file name, DMN document): never
    deployed, only parsed with the diagram while its tables' problems are being reported."""
    root = etree.Element(
        f"{{{DMN}}}definitions",
        nsmap={None: DMN},  # the engine reads a DMN file's default namespace
        id="stand_in",
        name="stand_in",
        namespace="huajie:stand-in",
    )
    decision = etree.SubElement(root, f"{{{DMN}}}decision", id=decision_id, name=decision_id)
    etree.SubElement(decision, f"{{{DMN}}}decisionTable", id="stand_in_table")
    return f"{decision_id}.stand-in.dmn", root
