import logging

from celery import Task, shared_task
from celery.signals import worker_process_shutdown
from django.db import InterfaceError, OperationalError

from apps.agents.events import broadcasts_drain
from apps.agents.recovery import run_claim, runs_requeue_stale
from apps.agents.services import run_execute, runs_waiting_unblock

logger = logging.getLogger(__name__)


# A run stopped by a database error is tried again after 1, 2, 4 ... 60 s; past
# that the stale-run re-queue (apps.agents.recovery) is left to resume it.
DATABASE_RETRIES = 12
DATABASE_RETRY_MAX_S = 60


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_agent(self: Task, run_id: str) -> None:
    """Execute or resume one run; a redelivered task resumes where it stopped.
    A second delivery of a run that another worker is executing is dropped."""
    try:
        with run_claim(run_id) as claimed:
            if not claimed:
                logger.info("run %s is being executed by another worker; delivery dropped", run_id)
                return
            run_execute(run_id=run_id)
    except (OperationalError, InterfaceError) as exc:
        # The database failed under the run (a restart, a failover, a
        # deadlock): the run is stored up to its last commit, so resume it as
        # soon as the database answers again rather than after the stale-run
        # re-queue's quiet period. An eager run (tests) has no queue to retry on.
        retries = self.request.retries
        if self.request.is_eager or retries >= DATABASE_RETRIES:
            raise
        countdown = min(2**retries, DATABASE_RETRY_MAX_S)
        raise self.retry(exc=exc, countdown=countdown, max_retries=DATABASE_RETRIES) from exc


@shared_task(ignore_result=True)
def runs_recover_due() -> None:
    """Beat: queue again the runs whose messages were lost (see apps.agents.recovery)."""
    runs_waiting_unblock()
    runs_requeue_stale()


@worker_process_shutdown.connect
def _broadcasts_send_before_exit(**kwargs: object) -> None:
    """Broadcasts leave a worker in the background; let a stopping one send
    what it has queued (its clients would re-sync from the database anyway)."""
    broadcasts_drain(timeout=2.0)
