from __future__ import annotations

from django.contrib import admin

from apps.accounts.models import ApiKey, RefreshToken, RevokedToken, ServiceAccount


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ["name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False  # keys are made on the Service accounts page, which shows them once


@admin.register(ServiceAccount)
class ServiceAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "description", "created_by", "created_at"]
    readonly_fields = ["user", "created_by", "created_at"]
    inlines = [ApiKeyInline]


@admin.register(RefreshToken)
class RefreshTokenAdmin(admin.ModelAdmin):
    list_display = ["jti", "family", "user", "issued_at", "expires_at", "used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "family", "jti"]
    readonly_fields = list_display


@admin.register(RevokedToken)
class RevokedTokenAdmin(admin.ModelAdmin):
    list_display = ["key", "reason", "created_at", "expires_at"]
    readonly_fields = list_display
