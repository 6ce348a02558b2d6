"""The Celery app. Same task code in both modes: Redis broker with separate
worker processes, or the in-memory broker with a worker thread (embedded)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "owm.settings")

app = Celery("owm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
