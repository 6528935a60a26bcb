"""The gate as a daemon: APScheduler runs one gate run per interval, never two at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from worker.gerra.errors import AuthenticationError, GerraError
from worker.metrics import MetricsServer
from worker.rules.loader import RuleSetError
from worker.runner import run_once
from worker.settings import Settings, SettingsError
from worker.shutdown import install_stop_handlers

log = structlog.get_logger(__name__)


def run_daemon(settings: Settings, stop: threading.Event | None = None) -> int:
    """Run until SIGTERM or SIGINT, then finish the dataset in hand and return.

    Returns the process exit code: 0 after a clean stop, 1 when the grace
    period ran out before the dataset in hand was finished. Raises
    `SettingsError` when the metrics port cannot be bound.
    """
    stop = stop or threading.Event()
    running = threading.Lock()

    def job() -> None:
        with running:
            if stop.is_set():
                return
            try:
                run_once(settings, stop)
            except RuleSetError as error:
                log.error("run_refused_invalid_rules", errors=len(error.errors), first=str(error.errors[0]) if error.errors else None)
            except AuthenticationError as error:
                log.error("run_refused_api_key_rejected", error=str(error))
            except GerraError as error:
                # An unreachable or failing API is expected now and then: one line, no traceback.
                log.error("run_failed", api_url=settings.api_url, cause=type(error).__name__, error=str(error))
            except Exception:  # noqa: BLE001 - the daemon outlives a failed run; the next run retries
                log.exception("run_crashed")

    metrics_server = _start_metrics_server(settings)

    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"max_instances": 1, "coalesce": True})
    scheduler.add_job(job, IntervalTrigger(seconds=settings.poll_interval_s), id="gate-run",
                      next_run_time=datetime.now(UTC), misfire_grace_time=None)

    if threading.current_thread() is threading.main_thread():
        install_stop_handlers(None, stop)

    log.info("daemon_started", poll_interval_s=settings.poll_interval_s, api_url=settings.api_url)
    scheduler.start()
    stop.wait()
    scheduler.shutdown(wait=False)
    if metrics_server is not None:
        metrics_server.stop()
    if running.acquire(timeout=settings.shutdown_grace_s):
        running.release()
        log.info("daemon_stopped")
        return 0
    log.error("daemon_stop_grace_exceeded", grace_s=settings.shutdown_grace_s)
    return 1


def _start_metrics_server(settings: Settings) -> MetricsServer | None:
    if settings.metrics_port is None:
        return None
    try:
        # A run that has not succeeded for three intervals makes /healthz fail.
        server = MetricsServer(settings.metrics_port, settings.metrics_host,
                               max_run_age_s=3 * settings.poll_interval_s + settings.check_timeout_s)
    except OSError as error:
        raise SettingsError(
            f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port}: "
            f"{error.strerror or error}; set GERRA_METRICS_PORT to a free port"
        ) from None
    log.info("metrics_serving", port=server.port)
    return server.start()
