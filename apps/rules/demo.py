"""Demo data: the default rules (from the migration), the SLA threshold and a
few pushed samples so the pages have something to show."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from apps.rules.models import MetricSample, Rule, RuleConstant

CONSTANTS = [("sla_threshold", 500.0, "Response-time SLA in milliseconds")]
SAMPLES = [("response_time", 320.0), ("error_count", 2.0), ("queue_depth", 14.0)]


def seed() -> dict[str, Any]:
    for name, value, description in CONSTANTS:
        RuleConstant.objects.update_or_create(
            name=name, defaults={"value": value, "description": description}
        )
    created = 0
    if not MetricSample.objects.filter(labels__source="demo").exists():
        now = timezone.now()
        MetricSample.objects.bulk_create(
            MetricSample(
                name=name, value=value, labels={"source": "demo"}, at=now - dt.timedelta(minutes=i)
            )
            for i, (name, value) in enumerate(SAMPLES)
        )
        created = len(SAMPLES)
    return {
        "rules": Rule.objects.count(),
        "constants": RuleConstant.objects.count(),
        "samples_created": created,
    }
