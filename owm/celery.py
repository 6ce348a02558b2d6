"""The Celery app. Same task code in both modes: Redis broker with separate
worker processes, or the in-memory broker with a worker thread (embedded)."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "owm.settings")

app = Celery("owm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _database_connections_check(sender: Any = None, **kwargs: Any) -> None:
    """Around each task, what Django does around each request: drop a
    connection that errored or outlived CONN_MAX_AGE, keep a healthy one
    (CELERY_DB_REUSE_MAX stops Celery's fixup from closing them all). Not for
    an eager task: it runs inside its caller, whose connection (and
    transaction) it must leave alone, as Celery's fixup does."""
    from django.db import close_old_connections

    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    close_old_connections()
