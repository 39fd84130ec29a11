"""Fixtures for the browser tests: a real ``huajie serve`` and a headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
HUAJIE = Path(sys.executable).with_name("huajie")
# 2026-09-30 (Wed) 10:00 in Shanghai: the day before the National Day holiday.
NOW = "2026-09-30T10:00:00+08:00"
STARTUP_TIMEOUT = 30.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


SERVER_ENVS: dict[str, dict[str, str]] = {}  # base URL -> the environment it runs with


def huajie_cli(base_url: str, *args: str) -> str:
    """Run a ``huajie`` command against the live server's database; return its output."""
    result = subprocess.run(
        [str(HUAJIE), *args], cwd=ROOT, env=SERVER_ENVS[base_url], capture_output=True,
        text=True, timeout=60, check=True,
    )  # fmt: skip
    return result.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update(HUAJIE_DATA=str(data_dir), HUAJIE_ENV="test", HUAJIE_NOW=NOW)
    return env


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def init_demo(data_dir: Path) -> dict[str, str]:
    """``huajie init --demo`` in a fresh data folder; returns the environment to serve it."""
    env = _server_env(data_dir)
    init = subprocess.run(
        [str(HUAJIE), "init", "--demo"], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    if init.returncode != 0:
        pytest.fail(
            "huajie init --demo failed:\n" + init.stderr.decode("utf-8", "replace"),
            pytrace=False,
        )
    return env


@contextmanager
def serving(data_dir: Path, env: dict[str, str], port: int) -> Iterator[str]:
    """``huajie serve`` on ``port`` until the block ends; yields its URL once it answers."""
    base_url = f"http://127.0.0.1:{port}"
    log_path = data_dir / "server.log"
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            [str(HUAJIE), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not _answers(f"{base_url}/login"):
                if server.poll() is not None or time.monotonic() > deadline:
                    state = (
                        f"exited with {server.returncode}"
                        if server.poll() is not None
                        else f"did not answer within {STARTUP_TIMEOUT:.0f} s"
                    )
                    pytest.fail(
                        f"huajie serve {state}; its output:\n"
                        + log_path.read_text("utf-8", "replace"),
                        pytrace=False,
                    )
                time.sleep(0.2)
            SERVER_ENVS[base_url] = env
            yield base_url
        finally:
            _stop(server)
            # Surface the server's output (tracebacks of 500s) in the pytest report.
            sys.stderr.write(log_path.read_text("utf-8", "replace"))
            log_path.write_bytes(b"")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Initialise a fresh demo database, run ``huajie serve`` on a free port, yield its URL."""
    data_dir = tmp_path_factory.mktemp("huajie-data")
    with serving(data_dir, init_demo(data_dir), free_port()) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server, accept_downloads=True, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
