#!/usr/bin/env python3
"""Screenshots of the demo app for the README's tour: ``scripts/screenshots [--out DIR]``.

Starts ``huajie serve`` on a fresh demo database in a temporary folder, with the product clock
fixed at 2026-09-30 10:00 (Shanghai, the day before the National Day holiday, as in the browser
tests), puts some cases in through the API (four court cases concluded, one court-referred case
registered by the center), then drives headless Chromium (Debian's ``/usr/bin/chromium``
through Playwright) and writes ten PNGs of 1280×800 to ``docs/screenshots/``: the login page,
an agency's inbox, its task form, the instance with its diagram, the case, the calendar
subscription, the center's check of a court's list, the statistics dashboard, the modeler and
an administrator's setting of a unit's group robot. Nothing outside the temporary folder and
the output folder is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
HUAJIE = Path(sys.executable).with_name("huajie")
NOW = "2026-09-30T10:00:00+08:00"
VIEWPORT = {"width": 1280, "height": 800}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip

# (case number, agency, outcome, effective on): GTZY lost one of three, SCJG won its one
CONCLUDED = [
    ("（2026）苏0813行初201号", "GTZY", "败诉", "2026-03-10"),
    ("（2026）苏0813行初202号", "GTZY", "胜诉", "2026-05-12"),
    ("（2026）苏0813行初203号", "GTZY", "撤诉", "2026-07-20"),
    ("（2026）苏0813行初204号", "SCJG", "胜诉", "2026-08-18"),
]
REFERRED = {
    "court_case_no": "（2026）苏0813行诉前12号",
    "plaintiff": "张某某",
    "agency_unit": "GTZY",
    "subject": "不服土地征收补偿决定",
    "claims": "撤销补偿决定，重新作出",
    "court": "洪泽区人民法院",
}
REPLY = "确定责任领导、联络人及初步调处方案"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _huajie(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(HUAJIE), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@contextmanager
def _serving(data: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = {**os.environ, "HUAJIE_DATA": str(data), "HUAJIE_ENV": "test", "HUAJIE_NOW": NOW}
    env.pop("DATABASE_URL", None)
    _huajie(env, "init", "--demo")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with (data / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [str(HUAJIE), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_for(url + "/login", server)
            yield url, env
        finally:
            server.terminate()
            server.wait(timeout=20)


def _wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)  # polling a starting server: nothing to wait on instead
    raise SystemExit(f"huajie serve did not start at {url}")


def _call(url: str, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url + "/api/v1" + path,
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _put_cases_in(url: str, env: dict[str, str]) -> None:
    court = _huajie(env, "tokens", "create", "court")
    for case_no, agency, outcome, effective_on in CONCLUDED:
        notice = {
            "plaintiff": "某某", "agency_unit": agency, "subject": "不服行政行为",
            "court": "洪泽区人民法院", "received_on": "2026-01-05",
        }  # fmt: skip
        judgment = {"outcome": outcome, "effective_on": effective_on, "defendants": [agency]}
        if outcome == "败诉":
            judgment["performance_deadline"] = "2026-09-28"
        for name, payload in (("pre_filing_notice", notice), ("judgment", judgment)):
            message = {
                "name": name, "case_no": case_no, "payload": payload,
                "idempotency_key": name + case_no,
            }  # fmt: skip
            _call(url, court, "/messages", message)
    center = _huajie(env, "tokens", "create", "center")
    case = _call(url, center, "/cases", REFERRED)
    with urllib.request.urlopen(
        urllib.request.Request(
            f"{url}/api/v1/tasks", headers={"Authorization": f"Bearer {center}"}
        ),
        timeout=60,
    ) as response:
        tasks = json.loads(response.read())
    first = next(t for t in tasks if t["instance_id"] == case["instance_id"])
    materials = {
        "materials_summary": "起诉状、证据目录、补偿决定书复印件",
        "notice_no": "洪调交〔2026〕7号",
    }
    _call(url, center, f"/tasks/{first['id']}/complete", {"data": materials})


def _login(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(f"{username}-Demo2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def _logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _court_list() -> bytes:
    """A court's list of three referred cases, one with an unknown unit and an impossible date."""
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["法院案号", "行政相对人（原告）", "案涉行政机关", "争议事项", "管辖法院",
                  "收到移送材料日期"])  # fmt: skip
    sheet.append(["（2026）苏0813行诉前21号", "陈某", "洪泽区市场监督管理局", "不服行政处罚",
                  "洪泽区人民法院", "2026-09-29"])  # fmt: skip
    sheet.append(["（2026）苏0813行诉前22号", "周某", "洪泽区高良涧街道办事处", "不服强制拆除",
                  "洪泽区人民法院", "2026/9/30"])  # fmt: skip
    sheet.append(["（2026）苏0813行诉前23号", "吴某", "洪泽区交通局", "不服行政许可",
                  "洪泽区人民法院", "2026-09-31"])  # fmt: skip
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _shoot(page: Page, out: Path, name: str) -> None:
    page.mouse.move(0, 0)  # no hover marks
    page.screenshot(path=out / f"{name}.png")
    print(f"{out / name}.png", file=sys.stderr)


def _capture(url: str, out: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--lang=zh-CN"],
            env={**os.environ, "LANGUAGE": "zh_CN"},  # the browser's own controls in Chinese
        )
        context = browser.new_context(
            base_url=url, viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(30_000)
        page = context.new_page()

        page.goto("/login")
        page.get_by_label("用户名").fill("gtzy")
        _shoot(page, out, "login")

        # the agency: its inbox, the reply task with its deadline, the instance and its diagram
        _login(page, "gtzy")
        expect(page.get_by_role("link", name=REPLY)).to_be_visible()
        _shoot(page, out, "inbox")
        page.get_by_role("link", name=REPLY).click()
        expect(page.get_by_role("heading", name=REPLY)).to_be_visible()
        page.get_by_label("负责化解工作的责任领导").fill("赵刚")
        page.get_by_label("职务").fill("局长")
        _shoot(page, out, "task")
        page.locator(".instance-link, a[href^='/instances/']").first.click()
        diagram = page.locator("#diagram")
        expect(diagram).to_have_attribute("data-ready", "true")
        diagram.scroll_into_view_if_needed()
        _shoot(page, out, "instance")
        # the case: one timeline across the mechanisms
        page.locator("#case-link").click()
        expect(page.locator("#timeline")).to_be_visible()
        _shoot(page, out, "case")
        # the agency's deadlines in its own calendar
        page.goto("/calendar")
        page.get_by_role("button", name="开通日历订阅").click()
        expect(page.locator("#feed-url")).to_be_visible()
        _shoot(page, out, "calendar")
        _logout(page)

        # the center checks a court's list of referred cases before importing it
        _login(page, "center")
        page.goto("/imports")
        page.get_by_label("文件").set_input_files(
            {"name": "法院移送案件清单.xlsx", "mimeType": XLSX, "buffer": _court_list()}
        )
        page.get_by_role("button", name="检查").click()
        expect(page.locator("#import-rows")).to_be_visible()
        _shoot(page, out, "court-list")
        _logout(page)

        # the bureau's statistics for the year so far
        _login(page, "bureau")
        page.goto("/dashboard?from=2026-01-01&to=2026-09-30")
        charts = page.locator(".chart")
        for i in range(charts.count()):
            expect(charts.nth(i)).to_have_attribute("data-ready", "true")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.chart')]"
            ".every(el => echarts.getInstanceByDom(el).getZr().animation.isFinished())"
        )
        _shoot(page, out, "dashboard")
        _logout(page)

        # the process owner in the modeler, the agency's task selected
        _login(page, "owner")
        page.goto("/processes/pre_litigation_mediation/modeler")
        expect(page.locator("#modeler")).to_have_attribute("data-ready", "true")
        page.locator('#canvas g.djs-element[data-element-id="agency_reply"]').click()
        days = page.locator("#properties").get_by_label("天数 N")
        expect(days).to_have_value("3")
        days.scroll_into_view_if_needed()  # the deadline group: type, start event, N
        page.add_style_tag(
            content=".djs-context-pad { display: none !important; }"
        )  # over the task
        _shoot(page, out, "modeler")
        _logout(page)

        # an administrator gives the agency's 企业微信 group robot its reminders
        _login(page, "admin")
        page.goto("/admin/units#unit-GTZY")
        page.locator("#kind-GTZY").select_option("wecom")
        page.locator("#url-GTZY").fill("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…")
        page.locator("#unit-GTZY").scroll_into_view_if_needed()
        _shoot(page, out, "robot")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="huajie-shots-") as tmp,
        _serving(Path(tmp)) as (url, env),
    ):
        _put_cases_in(url, env)
        _capture(url, args.out.resolve())


if __name__ == "__main__":
    main()
