from django.urls import path

from apps.workflows import apis

app_name = "workflows_api"

urlpatterns = [
    path("workflows/", apis.WorkflowListApi.as_view(), name="workflows"),
    path("workflows/<slug:slug>/", apis.WorkflowDetailApi.as_view(), name="workflow"),
    path("workflows/<slug:slug>/runs", apis.WorkflowRunsApi.as_view(), name="workflow_runs"),
    path("workflow-runs/<int:pk>/", apis.WorkflowRunDetailApi.as_view(), name="run"),
    path(
        "workflow-runs/<int:pk>/steps/<str:step_id>/retry",
        apis.StepRetryApi.as_view(),
        name="step_retry",
    ),
]
