"""``--only pages``: every page a person sees on the demo data (``scripts/pagewalk``)."""

from __future__ import annotations

from typing import Any

from quickbench.common import Sizes, log
from quickbench.workspace import Workspace


def bench_pages(ws: Workspace, sizes: Sizes) -> dict[str, Any]:
    from pagewalk import walk  # the stories and the scale benchmark, only when pages are asked for

    result = walk.run(ws.root / "pages", log)
    log(
        f"pages: {len(result['pages'])} measured, over 300 ms p95: "
        f"{result['pages_over_300ms'] or 'none'}, not 200: {result['pages_failed'] or 'none'}"
    )
    return result
