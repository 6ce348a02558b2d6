"""Reads for the data tools. A user sees the rows they created, shared rows
(no creator, e.g. demo data) and, when staff, everything."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from apps.datatools.models import AllowedSource, Analysis, Dataset, Report, UploadedFile


def _owned(user: Any, field: str = "created_by") -> Q:
    if user is not None and user.is_authenticated and (user.is_staff or user.is_superuser):
        return Q()
    if user is None or not user.is_authenticated:
        return Q(**{f"{field}__isnull": True})
    return Q(**{f"{field}__isnull": True}) | Q(**{field: user})


def datasets_visible_to(user: Any) -> QuerySet[Dataset]:
    return Dataset.objects.filter(_owned(user)).select_related("created_by", "parent")


def dataset_get_for(*, user: Any, data_id: str) -> Dataset | None:
    return datasets_visible_to(user).filter(data_id__iexact=data_id.strip()).first()


def dataset_recent_ids(*, user: Any, limit: int = 5) -> list[str]:
    return list(datasets_visible_to(user).values_list("data_id", flat=True)[:limit])


def reports_visible_to(user: Any) -> QuerySet[Report]:
    return Report.objects.filter(_owned(user)).select_related("dataset", "created_by")


def report_get_for(*, user: Any, report_id: str) -> Report | None:
    return reports_visible_to(user).filter(report_id__iexact=report_id.strip()).first()


def analyses_for(*, dataset: Dataset) -> QuerySet[Analysis]:
    return dataset.analyses.all()


def analysis_get_for(*, user: Any, analysis_id: str) -> Analysis | None:
    return (
        Analysis.objects.filter(_owned(user), analysis_id__iexact=analysis_id)
        .select_related("dataset")
        .first()
    )


def uploaded_files_visible_to(user: Any) -> QuerySet[UploadedFile]:
    return UploadedFile.objects.filter(_owned(user, "uploaded_by"))


def uploaded_file_find(*, user: Any, ref: str) -> UploadedFile | None:
    """An uploaded file by numeric id or by name (newest first)."""
    files = uploaded_files_visible_to(user)
    ref = ref.strip()
    if ref.isdigit():
        found = files.filter(pk=int(ref)).first()
        if found is not None:
            return found
    return files.filter(name__iexact=ref).first()


def allowed_source_patterns() -> list[str]:
    return list(AllowedSource.objects.filter(enabled=True).values_list("host_pattern", flat=True))
