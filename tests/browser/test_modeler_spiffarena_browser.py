"""A SpiffArena diagram opened in the web modeler and saved keeps every spiffworkflow: extension
(elements with their text and attributes, and the extension attributes on BPMN elements): the
modeler's moddle descriptor names them all, so bpmn-js neither drops nor mangles one."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import Page, expect

from app.engine.parser import parse_bpmn_root
from app.engine.preflight import schema_problems
from tests.browser.test_mediation_browser import login

pytestmark = pytest.mark.browser

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DIAGRAMS = [
    SAMPLES / "modelers" / "spiffarena_extensions.bpmn",  # every extension SpiffArena writes
    SAMPLES / "external" / "spiffarena-test-message-process.bpmn",
    SAMPLES / "external" / "spiffarena-message-start-event-with-multiple-forms.bpmn",
]

Extension = tuple[str, str, tuple[tuple[str, str], ...], str]


def _owner_id(node: etree._Element) -> str:
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node.get("id", "") if node is not None else ""


def spiff_extensions(xml: bytes) -> list[Extension]:
    """Every spiffworkflow: element (its path below the BPMN element, attributes and text) and
    every spiffworkflow: attribute, each with the id of the BPMN element it belongs to."""
    found: list[Extension] = []
    for node in etree.fromstring(xml).iter():
        if not isinstance(node.tag, str):
            continue
        for name, value in node.attrib.items():
            if name.startswith(f"{{{SPIFF}}}"):
                where = f"{etree.QName(node).localname}@{etree.QName(name).localname}"
                found.append((_owner_id(node), where, (), value))
        if node.tag.startswith(f"{{{SPIFF}}}"):
            path, parent = etree.QName(node).localname, node.getparent()
            while parent is not None and parent.tag.startswith(f"{{{SPIFF}}}"):
                path, parent = f"{etree.QName(parent).localname}/{path}", parent.getparent()
            attributes = tuple(sorted(node.attrib.items()))
            found.append((_owner_id(node), path, attributes, (node.text or "").strip()))
    return sorted(found)


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=[d.name for d in DIAGRAMS])
def test_a_spiffarena_diagram_keeps_every_extension_when_saved(
    browser_page: Page, tmp_path, diagram: Path
) -> None:
    page = browser_page
    original = diagram.read_bytes()
    before = spiff_extensions(original)
    assert len(before) >= 10, before  # the file carries extensions worth keeping

    login(page, "owner")
    page.goto("/processes/pre_litigation_mediation/modeler")
    expect(page.locator("#modeler")).to_have_attribute("data-ready", "true")
    page.locator("#import-file").set_input_files(
        files=[{"name": diagram.name, "mimeType": "application/xml", "buffer": original}]
    )
    status = page.locator("#modeler-status")
    expect(status).to_contain_text(f"已导入 {diagram.name}")
    if diagram.parent.name == "modelers":  # ours is valid BPMN: every element is understood
        expect(status).not_to_contain_text("导入提示")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="下载 .bpmn").click()
    saved = tmp_path / "saved.bpmn"
    download_info.value.save_as(saved)
    after = spiff_extensions(saved.read_bytes())
    lost = [e for e in before if e not in after]
    added = [e for e in after if e not in before]
    assert (lost, added) == ([], []), (lost, added)
    # in the order SpiffWorkflow's schema wants (a service task's parameters before its retry)
    schema_before = {p.detail for p in schema_problems(parse_bpmn_root(original))}
    schema_after = {p.detail for p in schema_problems(parse_bpmn_root(saved.read_bytes()))}
    assert schema_after <= schema_before, schema_after - schema_before
