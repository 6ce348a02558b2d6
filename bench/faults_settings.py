"""owm.settings for the faults bench's worker and its own process: the only
change is a short Redis visibility timeout, so a message whose worker was
SIGKILLed is redelivered within seconds (the default is one hour)."""

from owm.settings import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4}
