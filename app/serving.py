"""What a serving process does once: leave the garbage collector's walks lighter, and end with
its master (``huajie serve --workers N``)."""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import sys


def freeze_for_serving() -> None:
    """Once a server process has built its app: take everything built so far (modules, the
    app, its engines and metadata) out of the cyclic garbage collector's walks.

    Python's full collection walks every tracked object; with the app loaded that is ~160,000
    objects and ~65–70 ms, a stall every few hundred requests (once in 500 API completions; in
    the one SQLite writer's turn, should it come there). After this it walks what requests
    leave behind: 2–5 ms. Only cycles among the frozen objects are never collected, and those
    live as long as the process anyway.
    """
    gc.freeze()


MASTER_PID_ENV = "HUAJIE_SERVER_PID"  # set by ``huajie serve --workers N`` in its master
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def exit_with_master() -> None:
    """In a worker of ``huajie serve --workers N``: be sent SIGTERM when the master dies.

    granian's master watches its workers and stops them, but a master killed outright
    (SIGKILL, the out-of-memory killer) cannot, and its workers would serve on as orphans,
    holding the port and running timer schedulers nobody supervises. Linux's
    ``prctl(PR_SET_PDEATHSIG)`` (through ctypes; granian has no such option) asks the kernel to
    signal the worker when its parent ends; SIGTERM stops a granian worker as the master's own
    stop does. Workers are forked by the master's main thread, which lives as long as the
    master. A master that died before this call is noticed by the parent id.

    Until granian installs the worker's own handlers (after this module is imported), the
    worker runs with the handler it inherited from the master by the fork, which would take a
    SIGTERM for the master's and carry on: SIGTERM is set back to its default meanwhile, so
    that a master dying while a worker starts ends that worker too.
    """
    master = os.environ.get(MASTER_PID_ENV, "")
    if not master.isdigit() or int(master) == os.getpid() or not sys.platform.startswith("linux"):
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        logging.getLogger(__name__).warning(
            "prctl(PR_SET_PDEATHSIG) failed (errno %s): this worker outlives its master",
            ctypes.get_errno(),
        )
        return
    if os.getppid() != int(master):
        os.kill(os.getpid(), signal.SIGTERM)
