"""``--only http``: completing tasks through the API against the production server, 8 clients."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from typing import Any

from benchkit.stats import percentile

from quickbench.common import FORM_DATA, SEQUENCE, Sizes, log
from quickbench.server import served
from quickbench.service import open_task_id, service_start
from quickbench.workspace import Workspace, actor_for, create_token, definition_ids

HTTP_WARMUP_PER_CLIENT = 5  # every process has compiled its statements before the clock runs
# the production setup: 2 × cores + 1 granian processes of one thread (besides a completion's
# CPU work, a process waits for SQLite's one writer, and requests it took wait behind a slow one)
HTTP_WORKERS = int(os.environ.get("HUAJIE_BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))


class LoadClient:
    """One client's HTTP/1.1 requests on a plain socket, the request bytes built in one go.

    A load generator that costs the shared cores little (``http.client`` cost ~0.7 ms of CPU a
    request here, a tenth of what it measured); responses are parsed and checked all the same.
    The connection is kept while the server keeps it (waitress) and opened again after a
    response that closes it (the production server closes after each).
    """

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.head = (
            "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\n"
        ).encode()
        self.sock: socket.socket | None = None

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        payload = json.dumps(body).encode()
        request = b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s" % (
            path.encode(), self.head, len(payload), payload,
        )  # fmt: skip
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        self.sock.sendall(request)
        status, closes, raw = self._response(self.sock)
        if closes:
            self.close()
        return status, json.loads(raw) if raw else None

    @staticmethod
    def _response(sock: socket.socket) -> tuple[int, bool, bytes]:
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection before answering")
            buffer += chunk
        head, _, body = buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        version, status = lines[0].split()[:2]
        fields = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(b":") for line in lines[1:])
        }
        length = int(fields.get(b"content-length", b"0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection mid-answer")
            body += chunk
        connection = fields.get(b"connection", b"").lower()
        closes = connection == b"close" or (version == b"HTTP/1.0" and connection != b"keep-alive")
        return int(status), closes, body

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def _client(
    port: int, token: str, task_ids: list[int], barrier: threading.Barrier,
    latencies: list[float], failures: list[str],
) -> None:  # fmt: skip
    client = LoadClient(port, token)
    try:
        barrier.wait(timeout=60)
        for task_id in task_ids:
            t = time.perf_counter()
            try:
                status, body = client.post(f"/api/v1/tasks/{task_id}/complete", {"data": FORM_DATA})
            except (OSError, ValueError) as exc:  # counted, and the next one reconnects
                client.close()
                failures.append(f"{task_id}: {exc!r}")
                continue
            elapsed = time.perf_counter() - t
            if status == 200 and body["status"] == "completed":
                latencies.append(elapsed)
            else:
                failures.append(f"{task_id}: {status} {body}")
    finally:
        client.close()


def run_clients(
    port: int, token: str, batches: list[list[int]]
) -> tuple[list[float], list[str], float]:
    """One thread per batch, all released together; (latencies, failures, wall seconds)."""
    barrier = threading.Barrier(len(batches) + 1)
    latencies: list[float] = []
    failures: list[str] = []
    threads = [
        threading.Thread(target=_client, args=(port, token, batch, barrier, latencies, failures))
        for batch in batches
    ]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    t = time.perf_counter()
    for thread in threads:
        thread.join(timeout=600)
    return latencies, failures, time.perf_counter() - t


def bench_http(ws: Workspace, sizes: Sizes) -> dict[str, Any]:
    """Completing tasks through ``POST /api/v1/tasks/{id}/complete``, 8 concurrent clients.

    Instances are started beforehand through the service; each client completes the open first
    task of its own instances (``LoadClient``: the connection kept while the server keeps it;
    the production server closes it after each response), back to back (a closed loop: the
    mean latency is 8 / throughput).
    """
    data_dir, db = ws.database("http")
    def_id = definition_ids(db)[SEQUENCE]
    actor = actor_for(db)
    token = create_token(db)
    clients = sizes.http_clients
    per_client = HTTP_WARMUP_PER_CLIENT + sizes.http_tasks_per_client
    task_ids = [
        open_task_id(db, service_start(db, actor, def_id, {})) for _ in range(clients * per_client)
    ]
    db.dispose()
    log(f"http: {len(task_ids)} instances ready, starting huajie serve")
    batches = [task_ids[i::clients] for i in range(clients)]
    with served(data_dir, fixed_clock=True, workers=HTTP_WORKERS) as port:
        _, failures, _ = run_clients(port, token, [b[:HTTP_WARMUP_PER_CLIENT] for b in batches])
        latencies, more, wall = run_clients(
            port, token, [b[HTTP_WARMUP_PER_CLIENT:] for b in batches]
        )
    failures += more
    if failures:
        log(f"http: {len(failures)} failed requests, first: {failures[0]}")
    if not latencies:
        raise RuntimeError(f"http: no request succeeded (see {data_dir / 'serve.log'})")
    result = {
        "http_task_complete_p50_ms": 1000 * percentile(latencies, 50),
        "http_task_complete_p99_ms": 1000 * percentile(latencies, 99),
        "http_tasks_per_s": len(latencies) / wall,
        "http_failures": len(failures),
        "http_workers": HTTP_WORKERS,
    }
    log(
        "http: p50 {http_task_complete_p50_ms:.1f} ms, p99 {http_task_complete_p99_ms:.1f} ms, "
        "{http_tasks_per_s:.0f} tasks/s".format(**result)
    )
    return result
