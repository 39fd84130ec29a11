"""The page walk: every page a person sees, requested through the production server, with
p50/p95 each (``scripts/bench --only pages`` on the demo data; ``scripts/bench --scale`` at
twenty years' volume). See docs/performance.md.
"""
