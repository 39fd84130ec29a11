"""The WSGI entry point for a production server with several worker processes::

    huajie serve --workers 5 --host 0.0.0.0 --port 8000   # granian, 2 x cores + 1 processes

Each worker runs its own timer scheduler (``app/scheduler.py``). That is safe on PostgreSQL:
a timer pass claims each instance with a due timer (``SELECT … FOR UPDATE SKIP LOCKED``) and
ladder steps likewise, so a timer fires once however many workers or machines pass over it, and
the worker that wrote a new deadline wakes for it without waiting for the others; the daily
digest, the mail batches and the quarterly evaluation take an advisory lock and check what was
done. ``HUAJIE_SCHEDULER=0`` leaves the scheduler out of this process (e.g. when one separate
``huajie serve`` or a cron ``huajie timers run`` does the firing). Any WSGI server will do if
each worker imports this module after its fork (no preloading): each must open its own
database connections.
"""

from __future__ import annotations

import atexit

from app.scheduler import TimerScheduler
from app.serving import exit_with_master, freeze_for_serving
from app.web.factory import create_app

exit_with_master()  # a worker of ``huajie serve --workers N`` ends with its master
app = create_app()

settings = app.extensions["huajie.settings"]
if settings.run_scheduler:
    scheduler = TimerScheduler(app.extensions["huajie.db"], settings)
    scheduler.start()
    atexit.register(scheduler.shutdown)

freeze_for_serving()
