"""``huajie serve`` for a benchmark: on a free loopback port, stopped when the measuring ends."""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HUAJIE = ROOT / ".venv" / "bin" / "huajie"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"huajie serve exited: {log_path.read_text(errors='replace')}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/processes")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("huajie serve did not answer within 60 s")


@contextlib.contextmanager
def serve(
    data_dir: Path, env: dict[str, str], workers: int, log_path: Path, stop_s: float = 15
) -> Iterator[tuple[int, int]]:
    """``huajie serve --workers N`` in ``data_dir`` with exactly ``env``, its output in
    ``log_path``; yields the port and the server's process id once it answers, and stops it
    (killed if it has not ended ``stop_s`` after being asked to)."""
    port = free_port()
    command = [str(HUAJIE), "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(command, env=env, cwd=data_dir, stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip
        try:
            wait_until_serving(proc, port, log_path)
            yield port, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=stop_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
