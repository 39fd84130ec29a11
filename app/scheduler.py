"""The timer scheduler: wakes at the next due time (and on a safety interval), fires due timer_pass.

It never scans waiting instances: each pass reads the indexed ``timers`` projection. On start it
runs one pass at once, so timers that fell due while the app was down fire (once) on start-up.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from app import clock
from app.config import Settings
from app.db import Database, exclusive
from app.models.states import VerificationScope
from app.services.actor import SYSTEM
from app.services.execution import timer_pass
from app.services.notify import mail, webhooks
from app.services.records import verifications

log = logging.getLogger(__name__)
SAFETY_INTERVAL = timedelta(seconds=5)  # catches timers written by other processes


class TimerScheduler:
    """``settings`` with SMTP configured: notifications are also mailed, in batches."""

    def __init__(self, db: Database, settings: Settings | None = None) -> None:
        self.db = db
        self._settings = settings
        self._lock = threading.RLock()  # a pass commits writes, whose hook re-plans
        self._scheduler = BackgroundScheduler(timezone="UTC")
        self._planned: datetime | None = None  # product-clock time of the next planned pass
        self._started: datetime | None = None  # the first pass reports what the outage delayed
        db.after_write.append(self._after_write)

    def _after_write(self, info: dict) -> None:
        """A committed write created or moved a timer: wake for it if it is sooner."""
        dues = info.get("timer_due")
        if dues and self._scheduler.running:
            soonest = min(dues)
            if self._planned is None or soonest < self._planned:
                with self._lock:
                    self._plan(soonest)

    def start(self) -> None:
        self._started = clock.now()
        self._scheduler.start()
        # 败诉率评估 (mechanism 10): quarterly, for the quarter just ended
        self._scheduler.add_job(
            self._evaluate, CronTrigger(month="1,4,7,10", day=1, hour=9, timezone=clock.SHANGHAI),
            id="quarterly-evaluation", replace_existing=True,
        )  # fmt: skip
        # daily digest of what falls due within three working days (working days only)
        self._scheduler.add_job(
            self._digest, CronTrigger(hour=8, minute=30, timezone=clock.SHANGHAI),
            id="daily-digest", replace_existing=True,
        )  # fmt: skip
        # the audit chain since the last verified checkpoint (one process runs it, recorded);
        # a failure alerts the administrators
        self._scheduler.add_job(
            self._verify_audit, CronTrigger(hour=2, minute=30, timezone=clock.SHANGHAI),
            id="audit-verification", replace_existing=True,
        )  # fmt: skip
        # the query planner's statistics as the tables grow (SQLite; sampled, milliseconds)
        self._scheduler.add_job(
            self._refresh_statistics, CronTrigger(hour=3, minute=30, timezone=clock.SHANGHAI),
            id="planner-statistics", replace_existing=True,
        )  # fmt: skip
        # the units' group robots (群机器人): queued messages, retried with back-off
        self._scheduler.add_job(
            self._webhooks, "interval", minutes=1, id="webhook-deliveries", replace_existing=True
        )
        if self._settings is not None and self._settings.smtp_enabled:
            self._sender = mail.smtp_sender(self._settings)
            self._scheduler.add_job(
                self._mail, "interval", minutes=10, id="mail-batches", replace_existing=True
            )
        self.wake()

    def _digest(self) -> None:
        try:
            with self.db.write() as session:
                exclusive(session, "digest")
                mail.daily_digest(session)
        except Exception:
            log.exception("daily digest failed")

    def _webhooks(self) -> None:
        try:
            webhooks.deliver_due(self.db)
        except Exception:
            log.exception("webhook delivery failed")

    def _mail(self) -> None:
        try:
            with self.db.write() as session:
                exclusive(session, "mail")
                mail.send_batches(session, self._sender)
        except Exception:
            log.exception("mail batch failed")

    def _verify_audit(self) -> None:
        try:
            verifications.run_daily(self.db)
        except Exception:
            log.exception("daily audit verification failed to run")

    def _refresh_statistics(self) -> None:
        try:
            self.db.refresh_statistics()
        except Exception:
            log.exception("refreshing the planner's statistics failed")

    def _evaluate(self) -> None:
        from app.services.reporting import evaluation

        try:
            with self.db.write() as session:
                exclusive(session, "evaluation")
                evaluation.evaluate.within(session, SYSTEM, evaluation.last_quarter())
        except Exception:
            log.exception("quarterly evaluation failed")

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=False)

    def wake(self) -> None:
        """Run a pass now and plan the next one for the soonest due timer."""
        self._scheduler.add_job(self._pass, id="timer-pass", replace_existing=True)

    def _pass(self) -> None:
        with self._lock:
            try:
                timer_pass.run_pass(self.db, missed_before=self._started)
                self._started = None
            except Exception:  # a bad pass must not stop future ones
                log.exception("timer pass failed")
            self._plan(timer_pass.next_due(self.db))

    def _plan(self, due: datetime | None) -> None:
        now = clock.now()
        at = now + SAFETY_INTERVAL
        if due is not None:
            # the clock may be fixed in test mode: never plan in the past, never spin
            at = min(at, max(due + timedelta(milliseconds=5), now + timedelta(milliseconds=50)))
        self._planned = at
        real_delay = (at - now).total_seconds()
        run_at = clock.wall_now() + timedelta(seconds=max(real_delay, 0.05))
        self._scheduler.add_job(
            self._pass, "date", run_date=run_at, id="timer-pass", replace_existing=True
        )


class VerificationRunner:
    """Audit verifications started from the page (审计日志), recorded by the request
    (``verifications.begin``) and run beside the requests. ``wait`` is for tests and shutdown."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._threads: list[threading.Thread] = []

    def start(self, username: str, verification_id: int, scope: VerificationScope) -> None:
        thread = threading.Thread(
            target=self._run, args=(username, verification_id, scope),
            name="huajie-audit-verify", daemon=True,
        )  # fmt: skip
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _run(self, username: str, verification_id: int, scope: VerificationScope) -> None:
        try:
            verifications.complete(self.db, username, verification_id, scope)
        except Exception:
            log.exception("audit verification failed to run")

    def wait(self, timeout: float | None = None) -> None:
        for thread in list(self._threads):
            thread.join(timeout)
