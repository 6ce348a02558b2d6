from django.contrib import admin

from apps.datatools.models import AllowedSource, Analysis, Dataset, Report, UploadedFile


@admin.register(AllowedSource)
class AllowedSourceAdmin(admin.ModelAdmin):
    list_display = ["host_pattern", "description", "enabled", "created_at"]
    list_filter = ["enabled"]
    search_fields = ["host_pattern", "description"]


@admin.register(UploadedFile)
class UploadedFileAdmin(admin.ModelAdmin):
    list_display = ["name", "size", "uploaded_by", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["size"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if obj.file:
            obj.size = obj.file.size
        super().save_model(request, obj, form, change)


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["data_id", "name", "source_type", "row_count", "created_by", "created_at"]
    list_filter = ["source_type"]
    search_fields = ["data_id", "name", "source"]
    readonly_fields = ["data_id", "rows", "columns", "parent"]


@admin.register(Analysis)
class AnalysisAdmin(admin.ModelAdmin):
    list_display = ["analysis_id", "dataset", "analysis_type", "created_at"]
    list_filter = ["analysis_type"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["report_id", "title", "report_type", "format", "size", "created_at"]
    list_filter = ["report_type", "format"]
    readonly_fields = ["report_id", "dataset", "file", "size"]
