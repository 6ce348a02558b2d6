"""Demo data for the data tools: two allowed sources (disabled: the embedded
mode may have no internet) and a shared dataset of the demo stock levels."""

from __future__ import annotations

from typing import Any

from apps.datatools import services
from apps.datatools.datasets import dataset_read
from apps.datatools.models import AllowedSource, Dataset

DEMO_SOURCES = [
    ("*.open-meteo.com", "Open-Meteo weather and geocoding APIs (JSON)"),
    ("api.github.com", "GitHub REST API (JSON)"),
]
DEMO_DATASET = "Demo: stock levels"


def seed() -> dict[str, Any]:
    existing = set(AllowedSource.objects.values_list("host_pattern", flat=True))
    AllowedSource.objects.bulk_create(
        AllowedSource(host_pattern=pattern, description=text, enabled=False)
        for pattern, text in DEMO_SOURCES
        if pattern not in existing
    )
    dataset = Dataset.objects.filter(name=DEMO_DATASET).first()
    if dataset is None:
        columns, rows = dataset_read(name="stock_levels", parameters={})
        dataset = services.dataset_create(
            name=DEMO_DATASET,
            source_type="database",
            source="stock_levels",
            columns=columns,
            rows=rows,
            created_by=None,
        )
    return {"allowed_sources": AllowedSource.objects.count(), "demo_dataset": dataset.data_id}
