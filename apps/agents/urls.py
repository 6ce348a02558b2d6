from django.urls import path

from apps.agents import apis

urlpatterns = [
    path("agents/", apis.AgentListApi.as_view(), name="api-agents"),
    path("runs/", apis.RunListCreateApi.as_view(), name="api-runs"),
    path("runs/<uuid:run_id>/", apis.RunDetailApi.as_view(), name="api-run"),
    path("runs/<uuid:run_id>/events/", apis.RunEventsApi.as_view(), name="api-run-events"),
]
