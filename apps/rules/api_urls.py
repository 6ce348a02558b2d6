from django.urls import path

from apps.rules import apis

app_name = "rules_api"

urlpatterns = [
    path("rules/", apis.RuleListApi.as_view(), name="rules"),
    path("rules/firings/", apis.FiringListApi.as_view(), name="firings"),
    path("rules/metrics", apis.MetricPushApi.as_view(), name="metrics"),
    path("rules/evaluate", apis.EvaluateApi.as_view(), name="evaluate"),
    path("rules/<slug:name>/", apis.RuleDetailApi.as_view(), name="rule"),
]
