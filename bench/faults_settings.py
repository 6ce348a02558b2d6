"""owm.settings for the faults bench's worker and its own process: a short
Redis visibility timeout, so a message whose worker was SIGKILLed is
redelivered within seconds (the default is 15 minutes), and the bench-only
app with the slow tool to kill workers in."""

from owm.settings import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4}
INSTALLED_APPS = [*INSTALLED_APPS, "bench.faulttools"]  # noqa: F405
