"""Log-in failure throttling, shared by the dashboard log-in and POST /api/auth/token.

After OWM_LOGIN_MAX_FAILURES failures for one username, or
OWM_LOGIN_MAX_FAILURES_PER_IP (default: the same number; 0 turns it off) from
one client address, within OWM_LOGIN_LOCKOUT_SECONDS, that username or address
is locked out for OWM_LOGIN_LOCKOUT_SECONDS: attempts are refused without the
password being checked. A success clears the username's count (not the
address's: one good account must not reset the count of a password sprayer).

Counts live in Django's cache: per process with LocMemCache, shared with a
Redis cache. Usernames are hashed into the keys (case-insensitive)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache

PREFIX = "owm:login"


def _max_failures() -> int:
    return int(getattr(settings, "OWM_LOGIN_MAX_FAILURES", 5))


def _max_failures_per_ip() -> int:
    return int(getattr(settings, "OWM_LOGIN_MAX_FAILURES_PER_IP", _max_failures()))


def lockout_seconds() -> int:
    return int(getattr(settings, "OWM_LOGIN_LOCKOUT_SECONDS", 900))


def client_ip(request: Any) -> str:
    """The address Django saw (REMOTE_ADDR): no proxy header is trusted here."""
    return str(getattr(request, "META", {}).get("REMOTE_ADDR", "") or "")


def _subjects(username: str, ip: str) -> list[tuple[str, int]]:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    subjects = [(f"{PREFIX}:user:{name}", _max_failures())]
    if ip and _max_failures_per_ip() > 0:
        subjects.append((f"{PREFIX}:ip:{ip}", _max_failures_per_ip()))
    return subjects


def login_locked(*, username: str, ip: str) -> bool:
    """Whether attempts for `username` or from `ip` are refused right now."""
    locks = [f"{key}:lock" for key, _limit in _subjects(username, ip)]
    return bool(cache.get_many(locks))


def login_failure_record(*, username: str, ip: str) -> bool:
    """Count a failed attempt; True when it locked the username or the address."""
    window = lockout_seconds()
    locked = False
    for key, limit in _subjects(username, ip):
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            count = 1
        if count >= limit:
            cache.set(f"{key}:lock", 1, timeout=window)
            cache.delete(key)
            locked = True
    return locked


def login_success_record(*, username: str) -> None:
    key, _limit = _subjects(username, "")[0]
    cache.delete(key)


def lockout_message() -> str:
    minutes = max(1, round(lockout_seconds() / 60))
    return (
        "Too many failed log-in attempts. Log-in is locked for this account or address; "
        f"try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )
