"""``huajie serve --workers 2`` on SQLite: granian's processes share one database file, their
writers queue across processes, concurrent API completions all succeed once each, a large
upload arrives whole, and the workers end when their master is killed."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import select as io_select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from app.models import AuditEvent, TaskRecord
from app.services.actor import SYSTEM
from app.services.identity import org
from app.services.records import audit
from tests.helpers import FORM_DATA, open_task, register

HUAJIE = Path(sys.executable).with_name("huajie")
CLIENTS = 8


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    for _ in range(600):
        assert server.poll() is None, log.read_text(errors="replace")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/login")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("huajie serve --workers 2 did not answer")


def _complete_all(port: int, token: str, task_ids: list[int], statuses: list[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"data": FORM_DATA["register_materials"]})
    for task_id in task_ids:
        conn.request("POST", f"/api/v1/tasks/{task_id}/complete", body, headers)
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
    conn.close()


@pytest.mark.parametrize(
    "threads", [[], ["--threads", "4"]], ids=["sync workers (default)", "threaded workers"]
)
def test_two_workers_complete_concurrent_api_requests_once_each(db, settings, tmp_path, threads):
    task_ids = [open_task(db, register(db, court_case_no=f"（2026）苏0813行诉前{n}号")).id
                for n in range(2 * CLIENTS)]  # fmt: skip
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "center")
    db.dispose()  # the servers own the file now
    port, log = _free_port(), tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(HUAJIE), "serve", "--workers", "2", *threads, "--port", str(port)],
            env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    statuses: list[int] = []
    try:
        _wait_until_serving(server, port, log)
        _upload_and_download_a_large_file(port, token)
        clients = [
            threading.Thread(
                target=_complete_all, args=(port, token, task_ids[i::CLIENTS], statuses)
            )
            for i in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=120)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert "2 个进程" in log.read_text() and log.read_text().count("Started worker-") == 2
    assert statuses == [200] * len(task_ids)
    with db.read() as session:
        done = session.scalar(
            select(func.count()).where(
                TaskRecord.id.in_(task_ids), TaskRecord.completed_at.is_not(None)
            )
        )
        completions = session.scalar(
            select(func.count()).where(AuditEvent.action == "task.complete")
        )
        chain = audit.verify(session)
    assert done == len(task_ids)
    assert completions == len(task_ids)
    assert chain.ok, chain


def _upload_and_download_a_large_file(port: int, token: str) -> None:
    content = b"%PDF-1.7\n" + os.urandom(6 * 1024 * 1024)  # more than the server's buffer
    auth = {"Authorization": f"Bearer {token}"}
    base = f"http://127.0.0.1:{port}/api/v1/attachments"
    uploaded = requests.post(base, files={"file": ("卷宗.pdf", content)}, headers=auth, timeout=60)
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["sha256"] == hashlib.sha256(content).hexdigest()
    download = requests.get(f"{base}/{uploaded.json()['id']}", headers=auth, timeout=60)
    assert download.status_code == 200 and download.content == content


def test_a_worker_that_dies_is_replaced_and_the_server_keeps_answering(db, tmp_path):
    db.dispose()
    port, log = _free_port(), tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(HUAJIE), "serve", "--workers", "2", "--port", str(port)],
            env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_until_serving(server, port, log)
        pids = [int(p) for p in re.findall(r"Spawning worker-\d+ with PID: (\d+)", log.read_text())]
        assert len(pids) == 2
        os.kill(pids[0], signal.SIGKILL)
        for _ in range(300):
            if log.read_text().count("Started worker-") == 3:
                break
            time.sleep(0.1)
        assert "Respawning worker-1" in log.read_text(), log.read_text()
        assert server.poll() is None
        for _ in range(6):  # whichever process takes them
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/login")
            assert conn.getresponse().status == 200
            conn.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def test_a_server_process_leaves_its_startup_objects_out_of_full_collections(tmp_path):
    """What a process built before serving (the app, modules, engines) is never walked by a
    full garbage collection, which would otherwise walk all of it every few hundred requests
    (~65 ms here); what requests leave behind still is."""
    probe = "import gc, app.wsgi\nprint(gc.get_freeze_count(), len(gc.get_objects()))\n"
    env = {**os.environ, "HUAJIE_DATA": str(tmp_path), "HUAJIE_SCHEDULER": "0"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    frozen, walked = map(int, out.stdout.split())
    assert frozen > 10 * walked, out.stdout


def test_workers_end_when_the_master_is_killed(db, tmp_path):
    """A master killed outright (SIGKILL, the out-of-memory killer) cannot stop its workers:
    they must not serve on as orphans. Each worker's exit is awaited on a pidfd (an event, not
    a poll), for at most half a minute."""
    db.dispose()
    port, log = _free_port(), tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(HUAJIE), "serve", "--workers", "2", "--port", str(port)],
            env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    workers: list[int] = []
    try:
        _wait_until_serving(server, port, log)
        workers = [
            int(p) for p in re.findall(r"Spawning worker-\d+ with PID: (\d+)", log.read_text())
        ]
        assert len(workers) == 2
        running = {os.pidfd_open(pid) for pid in workers}
        exits = io_select.poll()  # not select(): a long test run has descriptors past 1024
        for fd in running:
            exits.register(fd, io_select.POLLIN)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=60)
        deadline = time.monotonic() + 30
        while running and time.monotonic() < deadline:
            for fd, _ in exits.poll(max(deadline - time.monotonic(), 0) * 1000):
                exits.unregister(fd)
                running.discard(fd)
                os.close(fd)
        for fd in running:
            os.close(fd)
        assert not running, "workers still running 30 s after their master died"
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        for pid in workers:  # the orphans this test made, if the assertion above failed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
