from django.contrib import admin

from apps.workflows.models import (
    Automation,
    Schedule,
    StepRun,
    Workflow,
    WorkflowRun,
    WorkflowVersion,
)


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "execution_mode", "enabled", "service_account"]
    readonly_fields = ["current_version"]


@admin.register(WorkflowVersion)
class WorkflowVersionAdmin(admin.ModelAdmin):
    list_display = ["workflow", "number", "created_by", "created_at"]
    readonly_fields = ["workflow", "number", "steps", "created_by", "created_at"]


class StepRunInline(admin.TabularInline):
    model = StepRun
    extra = 0
    fields = ["step_id", "action", "status", "attempt", "next_attempt_at", "error_kind", "error"]
    readonly_fields = fields


@admin.register(WorkflowRun)
class WorkflowRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "workflow", "status", "trigger", "actor", "created_at"]
    list_filter = ["status", "trigger"]
    inlines = [StepRunInline]


@admin.register(Automation)
class AutomationAdmin(admin.ModelAdmin):
    list_display = ["slug", "trigger_kind", "target_kind", "run_as", "enabled"]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "cron", "automation", "enabled", "next_run_at", "last_run_at"]
