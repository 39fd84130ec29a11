"""SQLite's one writer, ordered and relieved: writers queue for their turn (threads on a lock,
processes on a record lock on a file beside the database) instead of sleeping in SQLite's busy
handler, and a background thread copies the write-ahead log back into the database file
instead of the commit that crosses its threshold. ``app.db`` uses both for a SQLite file."""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
import time

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's busy handler orders the processes
    fcntl = None  # type: ignore[assignment]


class WriterBusy(Exception):
    """The writer lock stayed held longer than ``lock_timeout``: try again shortly."""


class WriterQueue:
    """SQLite has one writer at a time: writers wait their turn here rather than in SQLite's
    busy handler, whose sleeps (1 ms growing to 100 ms) gave second-long tails under load.

    Threads of this process queue on a lock; processes sharing the file (server workers, the
    CLI) on a POSIX record lock on ``<database>-writer.lock``, which the kernel hands over at
    once. SQLite's own locking stays the guard: this only orders the waiting. (POSIX locks are
    per process, so two ``Database`` objects of one process never wait for each other here.)
    """

    def __init__(self, database_path: str | None) -> None:
        self._thread_lock = threading.Lock()
        self._file: _FileLock | None = None
        if database_path and database_path != ":memory:" and fcntl is not None:
            try:
                fd = os.open(f"{database_path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:  # a read-only folder: SQLite's busy handler orders the processes
                pass
            else:
                self._file = _FileLock(fd)

    def acquire(self, timeout: float) -> None:
        """Wait at most ``timeout`` seconds, else ``WriterBusy``."""
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=timeout):
            raise WriterBusy
        if self._file is not None:
            try:
                if not self._file.acquire(max(deadline - time.monotonic(), 0)):
                    raise WriterBusy
            except BaseException:
                self._thread_lock.release()
                raise

    def release(self) -> None:
        if self._file is not None:
            self._file.release()
        self._thread_lock.release()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _FileLock:
    """An exclusive POSIX record lock that a waiter may stop waiting for.

    A blocked ``lockf`` takes no timeout, and the kernel hands a released lock to a blocked
    waiter at once (polling would not), so a helper thread does the blocking wait while the
    caller waits on a condition with its timeout. Record locks belong to the process: what the
    helper takes, the caller holds. A caller that gave up leaves the helper waiting; the next
    caller waits for the same ``lockf``, and if none comes the helper lets the lock go again.
    One caller at a time (``WriterQueue``'s thread lock).
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._changed = threading.Condition()
        self._helper_waits = False  # the helper is blocked in lockf
        self._wanted = False  # a caller waits for what the helper gets
        self._held = False  # this process holds the lock for a caller
        self._helper: threading.Thread | None = None

    def acquire(self, timeout: float) -> bool:
        with self._changed:
            if not self._helper_waits:
                try:
                    fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    if exc.errno not in (errno.EACCES, errno.EAGAIN):
                        raise
                    self._helper_waits = True
                    self._start_helper()
                    self._changed.notify_all()
                else:
                    self._held = True
                    return True
            self._wanted = True
            got = self._changed.wait_for(lambda: self._held, timeout)
            self._wanted = False
            return got

    def release(self) -> None:
        with self._changed:
            self._held = False
            fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def _start_helper(self) -> None:
        if self._helper is None:
            self._helper = threading.Thread(
                target=self._wait_for_lock, name="huajie-writer-lock", daemon=True
            )
            self._helper.start()

    def _wait_for_lock(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._helper_waits)
                fd = self._fd
            if fd < 0:
                return
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX)  # blocks without holding the GIL
            except OSError:  # closed meanwhile (``close``)
                return
            with self._changed:
                self._helper_waits = False
                if self._wanted:
                    self._held = True
                    self._changed.notify_all()
                else:  # the caller gave up, and no other came
                    fcntl.lockf(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._changed:
            fd, self._fd = self._fd, -1
            self._helper_waits = True  # wakes an idle helper, which then ends
            self._changed.notify_all()
        os.close(fd)


class WalCheckpointer:
    """SQLite's write-ahead log copied back into the database file by a background thread.

    SQLite's default has the commit that takes the WAL past 1,000 pages copy it back and sync
    the file, inside that transaction and the one writer's turn: every few dozen completions one
    request took tens of milliseconds more and the workers queued behind it (HTTP benchmark,
    alternating runs: p99 44–189 ms that way, 43–69 ms this way). Here, a second after writes,
    a PASSIVE checkpoint runs on a connection of its own; it waits for no reader or writer (and
    skips what a reader still uses, for the next round). A thread per ``Database``, started by
    its first write, stopped by ``dispose``.
    """

    DELAY_S = 1.0

    def __init__(self, path: str) -> None:
        self._path = path
        self._wrote = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def wrote(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None and not self._stopping.is_set():
                    self._thread = threading.Thread(
                        target=self._run, name="huajie-wal-checkpoint", daemon=True
                    )
                    self._thread.start()
        self._wrote.set()

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            while True:
                self._wrote.wait()
                if self._stopping.wait(self.DELAY_S):  # a burst of commits passes first
                    return
                self._wrote.clear()
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    self._wrote.set()  # e.g. the file is busy being restored: next round
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopping.set()
        self._wrote.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
