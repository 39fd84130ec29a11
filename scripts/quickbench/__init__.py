"""The quick benchmark (``scripts/bench``), one module a part; ``scripts/bench.py`` runs them.

``throughput``, ``api_latency`` (http), ``step_cost`` (steps), ``big``, ``pages`` and
``timer_lag`` (lag) each measure one part on a ``workspace``; ``report`` makes the last line.
"""
