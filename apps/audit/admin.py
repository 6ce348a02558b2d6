from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: entries are appended by `audit_record`, never edited."""

    list_display = ["seq", "at", "event", "actor", "agent", "tool", "decision", "status"]
    list_filter = ["event", "decision"]
    search_fields = ["actor", "tool", "agent", "run_id", "tool_call_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
