"""A circuit breaker per model endpoint, shared through Django's cache (so
all workers see it when the cache is Redis).

closed -> `threshold` consecutive failures -> open for `cooldown` seconds
(calls skip straight to the fallback) -> one trial call (half-open) ->
closed on success, open again on failure."""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BreakerState:
    failures: int
    open_until: float

    @property
    def is_open(self) -> bool:
        return self.open_until > time.time()


def _key(endpoint: str) -> str:
    return f"owm:breaker:{endpoint}"


def breaker_state(endpoint: str) -> BreakerState:
    try:
        failures, open_until = cache.get(_key(endpoint), (0, 0.0))
    except Exception:  # the breaker must never be why a model call fails: fail open
        logger.warning("circuit breaker state unavailable (cache down?); treated as closed")
        return BreakerState(0, 0.0)
    return BreakerState(failures, open_until)


def breaker_allows(endpoint: str) -> bool:
    return not breaker_state(endpoint).is_open


def breaker_success(endpoint: str) -> None:
    with contextlib.suppress(Exception):  # cache down: the next failure count starts over
        cache.delete(_key(endpoint))


def breaker_failure(endpoint: str) -> BreakerState:
    state = breaker_state(endpoint)
    failures = state.failures + 1
    open_until = state.open_until
    if failures >= settings.OWM_BREAKER_THRESHOLD:
        open_until = time.time() + settings.OWM_BREAKER_COOLDOWN
    try:
        cache.set(_key(endpoint), (failures, open_until), timeout=3600)
    except Exception:  # cache down: this failure goes uncounted, the call's own error stands
        logger.warning("circuit breaker could not record a failure of %s (cache down?)", endpoint)
    return BreakerState(failures, open_until)
