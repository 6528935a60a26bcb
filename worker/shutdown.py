"""Stop on SIGTERM or SIGINT after the dataset in hand, within a grace period."""

from __future__ import annotations

import os
import signal
import threading

import structlog

log = structlog.get_logger(__name__)


def install_stop_handlers(grace_s: float | None, stop: threading.Event | None = None) -> threading.Event:
    """Make SIGTERM and SIGINT set `stop`, so no new dataset is started.

    With `grace_s`, the process exits with code 1 when the dataset in hand
    is not finished that many seconds after the signal. Exiting then is safe:
    every decision is recorded before it is posted, and the next run finishes
    or reconciles it. A second signal exits at once.
    """
    stop = stop or threading.Event()

    def handle(signum: int, _frame: object) -> None:
        if stop.is_set():
            log.warning("shutdown_forced", signal=signal.Signals(signum).name)
            os._exit(1)
        log.info("shutdown_requested", signal=signal.Signals(signum).name, grace_s=grace_s)
        stop.set()
        if grace_s is not None:
            timer = threading.Timer(grace_s, _exit_after_grace, args=(grace_s,))
            timer.daemon = True
            timer.start()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def _exit_after_grace(grace_s: float) -> None:
    log.error("shutdown_grace_exceeded", grace_s=grace_s)
    os._exit(1)
