"""The Celery app. Same task code in both modes: Redis broker with separate
worker processes, or the in-memory broker with a worker thread (embedded)."""

import os
from importlib import import_module
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init

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


# What a run imports on first use: the openai SDK (~540 modules, most of them
# loaded lazily on the first chat request) and the channel layers (channels-redis).
RUN_MODULES = (
    "apps.agents.providers.openai_compat",
    "openai.resources.chat.completions",
    "apps.core.channel_layers",
)


@worker_init.connect
def _run_modules_preload(**kwargs: Any) -> None:
    """Import before the pool forks: every pool process then starts with them
    (shared, copy-on-write) instead of paying 1.3-1.8 s for the imports in its
    first run while the others compete for the same cores."""
    for name in RUN_MODULES:
        import_module(name)
