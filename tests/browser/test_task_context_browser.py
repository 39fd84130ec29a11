"""合法性审查 in Chromium: the legal adviser sees the matter above the form and opens its material
in the page; the instance page shows labels, not field keys (issue 19 points 1 and 2)."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import docx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

TITLE = "关于某地块国有建设用地使用权收回的决定"
CONTENT = "拟收回某地块国有建设用地使用权，依据《中华人民共和国土地管理法》第五十八条。"
DRAFT_TEXT = "收回决定书（草案）第一条"


def login(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(f"{username}-Demo2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def png(path: Path) -> Path:
    """A 4×4 red PNG, written by hand (no image library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )  # fmt: skip
    return path


def word_file(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("收回决定书（草案）", level=1)
    document.add_paragraph(DRAFT_TEXT)
    document.save(str(path))
    return path


def submit_matter(page: Page, tmp_path: Path) -> int:
    """The agency starts 合法性审查 and submits its matter with a scan and a Word draft."""
    login(page, "gtzy")
    page.goto("/processes")
    page.locator('button[data-process="legality_review"]').click()
    expect(page.get_by_role("heading", name="提交审查事项")).to_be_visible()
    page.get_by_label("重大执法决定").check()
    page.get_by_label("事项名称").fill(TITLE)
    page.get_by_label("事项内容及依据").fill(CONTENT)
    page.get_by_label("审查材料").set_input_files(
        [png(tmp_path / "现场照片.png"), word_file(tmp_path / "决定书草案.docx")]
    )
    page.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(r"/instances/\d+$"))
    match = re.search(r"/instances/(\d+)$", page.url)
    assert match is not None
    return int(match.group(1))


def test_labels_not_keys_on_the_instance_page(browser_page: Page, tmp_path: Path) -> None:
    page = browser_page
    submit_matter(page, tmp_path)
    history = page.locator("#history")
    history.locator("details summary").first.click()
    submitted = history.locator("dl.data").first
    expect(submitted).to_contain_text("事项名称")
    expect(submitted).to_contain_text(TITLE)
    expect(submitted).to_contain_text("属于败诉重点领域")
    expect(submitted).to_contain_text("否")
    for key in ("matter_type", "key_area", "materials", "false"):
        expect(submitted).not_to_contain_text(key)
    expect(history).to_contain_text("刘洋")  # the person who submitted, not the login name
    expect(page.locator("ol.events")).to_contain_text("提交了“提交审查事项”")
    logout(page)


def test_the_adviser_sees_the_matter_and_opens_its_material(
    browser_page: Page, tmp_path: Path
) -> None:
    page = browser_page
    submit_matter(page, tmp_path)
    logout(page)

    login(page, "gtzy_lawyer")
    page.locator("#inbox").get_by_role("link", name="法律顾问审核").first.click()
    expect(page.get_by_role("heading", name="法律顾问审核")).to_be_visible()
    context = page.locator("#task-context")
    expect(context).to_contain_text("事项名称")
    expect(context).to_contain_text(TITLE)
    expect(context).to_contain_text(CONTENT)
    expect(context).to_contain_text("重大执法决定")
    # the context stands above the form the adviser fills
    context_top = context.bounding_box()
    form_top = page.locator("form.task-form").bounding_box()
    assert context_top and form_top and context_top["y"] < form_top["y"]

    photo = context.locator("li").filter(has_text="现场照片.png")
    expect(photo.get_by_role("link", name="现场照片.png")).to_be_visible()
    photo.locator("summary").click()
    image = photo.locator("img")
    expect(image).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 4", arg=image.element_handle()
    )

    draft = context.locator("li").filter(has_text="决定书草案.docx")
    draft.locator("summary").click()
    frame = draft.frame_locator("iframe")
    expect(frame.locator("#docx-preview")).to_contain_text(DRAFT_TEXT)
    expect(frame.locator("#docx-preview h1")).to_have_text("收回决定书（草案）")

    with page.expect_download() as download:
        photo.get_by_role("link", name="现场照片.png").click()
    assert download.value.suggested_filename == "现场照片.png"
