from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from apps.datatools.storage import private_storage


def new_id(prefix: str) -> str:
    """A short, unguessable public id such as DS-7F3K9Q2M1ZX0."""
    return f"{prefix}-{secrets.token_hex(6).upper()}"


def _data_id() -> str:
    return new_id("DS")


def _report_id() -> str:
    return new_id("RPT")


def _analysis_id() -> str:
    return new_id("AN")


class AllowedSource(models.Model):
    """A host that fetch_data may read over HTTP(S). Managed by admins."""

    host_pattern = models.CharField(
        max_length=255,
        unique=True,
        help_text='A host, optionally with a port or a leading wildcard: "api.example.com", '
        '"*.example.com", "127.0.0.1:8080".',
    )
    description = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["host_pattern"]

    def __str__(self) -> str:
        return self.host_pattern


class UploadedFile(models.Model):
    """A CSV, JSON or Excel file that fetch_data(source_type="file") can read."""

    name = models.CharField(max_length=200)
    file = models.FileField(upload_to="uploads/%Y/%m/", storage=private_storage)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Dataset(models.Model):
    """Rows fetched or derived by the data tools; the id is what the next step consumes."""

    class Source(models.TextChoices):
        DATABASE = "database"
        API = "api"
        FILE = "file"
        WEB = "web"
        PROCESSED = "processed"

    data_id = models.CharField(max_length=20, unique=True, default=_data_id, editable=False)
    name = models.CharField(max_length=200)
    source_type = models.CharField(max_length=20, choices=Source.choices)
    source = models.CharField(max_length=500, help_text="dataset name, URL or file name")
    parameters = models.JSONField(default=dict, blank=True)
    columns = models.JSONField(default=list)
    rows = models.JSONField(default=list)
    row_count = models.PositiveIntegerField(default=0, help_text="rows before the storage cap")
    truncated = models.BooleanField(default=False)
    text = models.TextField(blank=True, help_text="page text for web sources")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    operation = models.JSONField(default=dict, blank=True, help_text="how it was derived")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.data_id} {self.name}"

    @property
    def stored_rows(self) -> int:
        return len(self.rows)


class Analysis(models.Model):
    """One analyze_data result, with its chart when one was asked for."""

    analysis_id = models.CharField(max_length=20, unique=True, default=_analysis_id, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="analyses")
    analysis_type = models.CharField(max_length=20)
    result = models.JSONField(default=dict)
    chart_svg = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "analyses"

    def __str__(self) -> str:
        return f"{self.analysis_id} {self.analysis_type}"


class Report(models.Model):
    class Kind(models.TextChoices):
        SUMMARY = "summary"
        DETAILED = "detailed"
        DASHBOARD = "dashboard"
        PRESENTATION = "presentation"

    class Format(models.TextChoices):
        PDF = "pdf"
        HTML = "html"
        JSON = "json"
        EXCEL = "excel"

    report_id = models.CharField(max_length=20, unique=True, default=_report_id, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="reports")
    title = models.CharField(max_length=200)
    report_type = models.CharField(max_length=20, choices=Kind.choices)
    format = models.CharField(max_length=10, choices=Format.choices)
    file = models.FileField(upload_to="reports/%Y/%m/", storage=private_storage)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.title}"

    @property
    def filename(self) -> str:
        ext = {"excel": "xlsx"}.get(self.format, self.format)
        return f"{self.report_id}.{ext}"
