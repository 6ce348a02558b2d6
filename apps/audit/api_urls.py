from django.urls import path

from apps.audit import apis

urlpatterns = [
    path("audit/entries/", apis.AuditEntryListApi.as_view(), name="api-audit-entries"),
    path("audit/export.csv", apis.AuditExportApi.as_view(fmt="csv"), name="api-audit-export-csv"),
    path(
        "audit/export.json", apis.AuditExportApi.as_view(fmt="json"), name="api-audit-export-json"
    ),
    path("audit/verify", apis.AuditVerifyApi.as_view(), name="api-audit-verify"),
]
