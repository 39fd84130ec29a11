"""Sample form data per process and path (written with each diagram), for the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def load(process_id: str) -> dict[str, Any]:
    return json.loads((HERE / f"{process_id}.json").read_text(encoding="utf-8"))


def all_paths() -> list[tuple[str, str]]:
    """(process id, path name) for every sample path of every diagram that has samples."""
    found = []
    for file in sorted(HERE.glob("*.json")):
        for path in load(file.stem)["paths"]:
            found.append((file.stem, path))
    return found


class PathData:
    """Hands out a path's form data in order; a task that recurs takes the next entry."""

    def __init__(self, path: dict[str, Any]) -> None:
        self._path = path
        self._seen: dict[str, int] = {}

    def next(self, bpmn_id: str) -> dict[str, Any]:
        entry = self._path[bpmn_id]
        index = self._seen.get(bpmn_id, 0)
        self._seen[bpmn_id] = index + 1
        return dict(entry[index] if isinstance(entry, list) else entry)

    def start(self) -> dict[str, Any]:
        """Start data this path overrides (``$start``: a BPMN id never begins with $)."""
        return dict(self._path.get("$start", {}))

    def expected_counts(self) -> dict[str, int]:
        return {
            k: len(v) if isinstance(v, list) else 1
            for k, v in self._path.items()
            if not k.startswith("$")
        }

    def counts(self) -> dict[str, int]:
        return dict(self._seen)
