"""The production server for the HTTP and timer-lag parts, and a JSON request to its API."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchkit.server import serve

from quickbench.common import FIXED_NOW


@contextlib.contextmanager
def served(data_dir: Path, fixed_clock: bool, workers: int = 1) -> Iterator[int]:
    """``huajie serve`` on a free loopback port; yields the port.

    One worker is waitress in one process; more are granian processes on ``app.wsgi``, each
    with its own timer scheduler (the production setup).
    """
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "HUAJIE_NOW"}}
    env.update(HUAJIE_DATA=str(data_dir), HUAJIE_ENV="test", PYTHONUNBUFFERED="1")
    if fixed_clock:
        env["HUAJIE_NOW"] = FIXED_NOW
    with serve(data_dir, env, workers, data_dir / "serve.log") as (port, _):
        yield port


def api(
    conn: http.client.HTTPConnection, token: str, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, payload, headers)
    response = conn.getresponse()
    raw = response.read()
    return response.status, json.loads(raw) if raw else None
