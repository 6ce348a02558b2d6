from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from apps.agents.models import Agent, Run


def agents_enabled() -> QuerySet[Agent]:
    return Agent.objects.filter(enabled=True)


def runs_visible_to(user: AbstractBaseUser) -> QuerySet[Run]:
    """Staff see every run; everybody else sees their own."""
    runs = Run.objects.select_related("agent", "user")
    if user.is_staff:
        return runs
    return runs.filter(user=user)


def run_for_user(*, user: AbstractBaseUser, run_id: object) -> Run | None:
    return runs_visible_to(user).filter(pk=run_id).first()
