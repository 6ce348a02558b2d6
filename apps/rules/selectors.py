"""Reads for the rules pages and API."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from apps.rules.models import Rule, RuleFiring


def rule_list() -> QuerySet[Rule]:
    """Rules with the status of their last firing annotated as last_status."""
    last = RuleFiring.objects.filter(rule=OuterRef("pk")).order_by("-fired_at", "-id")
    return Rule.objects.annotate(
        last_status=Subquery(last.values("status")[:1]),
        last_subject=Subquery(last.values("subject")[:1]),
    ).order_by("name")


def rule_get(*, name: str) -> Rule | None:
    return Rule.objects.filter(name=name).first()


def firing_list(
    *, rule: str = "", status: str = "", subject: str = "", trigger: str = ""
) -> QuerySet[RuleFiring]:
    firings = RuleFiring.objects.select_related("rule")
    if rule:
        firings = firings.filter(rule__name=rule)
    if status:
        firings = firings.filter(status=status)
    if subject:
        firings = firings.filter(subject__icontains=subject)
    if trigger:
        firings = firings.filter(trigger=trigger)
    return firings.order_by("-fired_at", "-id")
