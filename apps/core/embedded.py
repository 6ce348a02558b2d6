"""The embedded mode's in-process Celery worker.

With no REDIS_URL the broker is kombu's in-memory transport, which only
reaches consumers in the same process, so the ASGI server starts a worker
thread beside itself. Runs left unfinished by a previous process are
re-queued once the worker is up (see apps.agents.services.runs_recover)."""

from __future__ import annotations

import logging
import sys
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)
_started = threading.Event()
_lock = threading.Lock()
_worker: object | None = None
_beat: object | None = None


def start_embedded_worker() -> bool:
    """Start the worker thread once per process; return whether it runs."""
    if not settings.OWM_EMBEDDED_WORKER or settings.CELERY_TASK_ALWAYS_EAGER:
        return False
    if "pytest" in sys.modules and not getattr(settings, "OWM_EMBEDDED_WORKER_IN_TESTS", False):
        return False
    with _lock:
        if _started.is_set():
            return True
        from celery.beat import EmbeddedService

        from owm.celery import app

        worker = app.WorkController(
            concurrency=settings.OWM_EMBEDDED_WORKER_CONCURRENCY,
            pool="threads",
            loglevel="WARNING",
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
        )
        threading.Thread(target=worker.start, name="owm-embedded-worker", daemon=True).start()
        # Schedules too, in a thread: the worker's own `beat=True` forks a
        # process, whose in-memory broker no worker reads (nothing scheduled
        # ever ran), and which outlives a killed server.
        beat = EmbeddedService(
            app, thread=True, schedule_filename=settings.CELERY_BEAT_SCHEDULE_FILENAME
        )
        beat.start()
        global _worker, _beat
        _worker, _beat = worker, beat
        _started.set()
        logger.info(
            "embedded Celery worker started (%s threads)",
            settings.OWM_EMBEDDED_WORKER_CONCURRENCY,
        )
    threading.Thread(target=_recover, name="owm-run-recovery", daemon=True).start()
    return True


def _recover(attempts: int = 5) -> None:
    """Re-queue unfinished runs; a busy database only delays it."""
    from django.db import OperationalError, close_old_connections

    from apps.agents.services import runs_recover

    for attempt in range(attempts):
        try:
            runs_recover()
            return
        except OperationalError:
            logger.warning("run recovery: database busy (attempt %d)", attempt + 1)
            time.sleep(0.5 * (attempt + 1))
        finally:
            close_old_connections()
    logger.error("run recovery gave up; unfinished runs resume on the next start")


def stop_embedded_worker() -> None:
    """Stop the worker thread and its pool (tests; a clean shutdown)."""
    global _worker, _beat
    with _lock:
        if _beat is not None:
            _beat.stop()  # type: ignore[attr-defined]
            _beat = None
        if _worker is not None:
            _worker.stop(in_sighandler=False)  # type: ignore[attr-defined]
            _worker = None
        _started.clear()
