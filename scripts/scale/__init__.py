"""``scripts/bench --scale``: twenty years of a district, built and measured.

See docs/performance.md.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # the stories use the tests' sample form data
    sys.path.insert(0, _ROOT)
