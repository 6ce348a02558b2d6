"""Runs whose Celery message was lost are queued again.

A message is lost when Redis restarts without persistence (the queue and the
unacked set live only in its memory), when a publish fails while the broker is
down, or when a worker is killed outright (its message comes back only after
the visibility timeout). Such a run sits in `queued` or `running` with nobody
working on it.

A worker holds a per-run lock while it executes a run (`run_claim`): a
PostgreSQL session advisory lock, released by the server when the worker's
connection ends, however the worker dies. So "nobody is working on it" is a
lock nobody holds, and a second delivery of a run that is being executed is
dropped instead of running it twice at once. `runs_requeue_stale` queues again
every queued or running run that nobody holds and that has published no event
for `OWM_RUN_STALE_SECONDS`; Celery beat calls it every
`OWM_RUN_REQUEUE_INTERVAL` seconds. A re-queued run resumes from its persisted
messages and never repeats a finished tool call, like a redelivered one.

Without PostgreSQL the lock is a set in this process, which is exact in the
embedded mode (one process) and blind to other processes otherwise, so there
the re-queue does nothing."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Max, Q
from django.utils import timezone

from apps.agents.events import run_event_publish
from apps.agents.models import Run, RunEvent

logger = logging.getLogger(__name__)

REQUEUE_BATCH = 100  # runs per pass, oldest first

_local_held: set[str] = set()  # the runs this process executes (non-PostgreSQL)
_local_lock = threading.Lock()


def _lock_key(run_id: object) -> int:
    """A signed 64-bit advisory lock key for the run."""
    digest = hashlib.blake2b(f"owm-run:{run_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _advisory() -> bool:
    return connection.vendor == "postgresql"


def _lock_try(run_id: object) -> bool:
    if _advisory():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_lock_key(run_id)])
            return bool(cursor.fetchone()[0])
    with _local_lock:
        if str(run_id) in _local_held:
            return False
        _local_held.add(str(run_id))
        return True


def _lock_release(run_id: object) -> None:
    if _advisory():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_key(run_id)])
        return
    with _local_lock:
        _local_held.discard(str(run_id))


@contextlib.contextmanager
def run_claim(run_id: object) -> Iterator[bool]:
    """Hold the run's execution lock for the block: yields False (and holds
    nothing) when another worker is executing the run."""
    claimed = _lock_try(run_id)
    try:
        yield claimed
    finally:
        if claimed:
            try:
                _lock_release(run_id)
            except DatabaseError:  # a broken connection: the server dropped the lock with it
                logger.warning("could not release the lock of run %s", run_id, exc_info=True)


def run_is_held(run_id: object) -> bool:
    """Whether some worker is executing the run right now."""
    with run_claim(run_id) as claimed:
        return not claimed


def _stale_runs(stale_after_s: float) -> list[Run]:
    cutoff = timezone.now() - timedelta(seconds=stale_after_s)
    return list(
        Run.objects.filter(
            status__in=[Run.Status.QUEUED, Run.Status.RUNNING], created_at__lt=cutoff
        )
        .annotate(last_event_at=Max("events__created_at"))
        .filter(Q(last_event_at__lt=cutoff) | Q(last_event_at=None))
        .order_by("created_at")[:REQUEUE_BATCH]
    )


def _run_give_up_if_spent(run: Run) -> bool:
    """A running run abandoned OWM_RUN_MAX_REQUEUES times already (its worker
    died, or the database failed, each time it ran) is failed rather than
    queued again, since every attempt costs model calls. Re-queues of a run
    still waiting in the queue (a backlog) do not count. True when done, or
    when a worker holds the run (nothing to do either way)."""
    abandoned = RunEvent.objects.filter(
        run=run, type="run.requeued", data__status=Run.Status.RUNNING
    ).count()
    if abandoned < settings.OWM_RUN_MAX_REQUEUES:
        return False
    from apps.agents.services import run_give_up

    with run_claim(run.pk) as claimed:
        if claimed:
            logger.warning("run %s abandoned %d times: failed, not re-queued", run.pk, abandoned)
            run_give_up(
                run=run,
                reason=(
                    f"stopped: the run was abandoned {abandoned} times before it finished "
                    "(its worker stopped, or the database failed, each time it ran); "
                    "it is not queued again"
                ),
            )
    return True


def runs_requeue_stale(*, stale_after_s: float | None = None) -> int:
    """Queue again the unfinished runs that nobody executes and that have been
    quiet for `stale_after_s` (default OWM_RUN_STALE_SECONDS). Returns how many."""
    if not _advisory() and not settings.EMBEDDED:
        logger.debug("stale-run re-queue needs PostgreSQL (or the embedded mode); skipped")
        return 0
    from apps.agents.tasks import run_agent

    stale_after_s = stale_after_s if stale_after_s is not None else settings.OWM_RUN_STALE_SECONDS
    requeued = 0
    for run in _stale_runs(stale_after_s):
        if run.status == Run.Status.RUNNING and _run_give_up_if_spent(run):
            continue
        if run_is_held(run.pk):
            continue
        quiet = timezone.now() - (run.last_event_at or run.created_at)
        run_event_publish(
            run=run,
            event_type="run.requeued",
            data={"status": run.status, "quiet_seconds": round(quiet.total_seconds())},
        )
        run_agent.delay(str(run.pk))
        requeued += 1
    if requeued:
        logger.warning("re-queued %d run(s) that no worker had (lost messages)", requeued)
    return requeued
