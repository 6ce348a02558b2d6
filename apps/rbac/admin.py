from django.contrib import admin

from apps.rbac.models import Grant, SeedRecord


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["role", "tool_name", "agent", "decision", "seeded", "updated_by", "updated_at"]
    list_filter = ["role", "decision", "seeded"]
    search_fields = ["tool_name", "agent__slug", "role__name"]
    readonly_fields = ["updated_by", "updated_at", "seeded"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # limits are validated by the services: use the matrix or the API

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(SeedRecord)
class SeedRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "created_at"]
    search_fields = ["key"]
