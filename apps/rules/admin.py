from django.contrib import admin

from apps.rules.models import MetricSample, Rule, RuleConstant, RuleFiring


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["name", "condition", "severity", "scope", "enabled", "last_fired_at"]
    list_filter = ["severity", "scope", "enabled"]
    search_fields = ["name", "description", "condition"]


@admin.register(RuleFiring)
class RuleFiringAdmin(admin.ModelAdmin):
    list_display = ["rule", "subject", "fired_at", "status", "trigger"]
    list_filter = ["status", "trigger", "rule"]
    search_fields = ["subject"]


@admin.register(MetricSample)
class MetricSampleAdmin(admin.ModelAdmin):
    list_display = ["name", "value", "at"]
    search_fields = ["name"]


@admin.register(RuleConstant)
class RuleConstantAdmin(admin.ModelAdmin):
    list_display = ["name", "value", "description"]
