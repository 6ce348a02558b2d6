from django.urls import path

from apps.workflows import automation_views, views

app_name = "workflows"

urlpatterns = [
    path("", views.workflow_list, name="list"),
    path("runs/", views.run_list, name="runs"),
    path("automations/", automation_views.automation_list, name="automations"),
    path(
        "automations/<slug:slug>/schedules",
        automation_views.schedule_add,
        name="schedule-add",
    ),
    path("automations/<slug:slug>/fire", automation_views.automation_fire_view, name="fire"),
    path("schedules/<int:pk>/toggle", automation_views.schedule_toggle, name="schedule-toggle"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/steps/<str:step_id>/retry", views.step_retry_view, name="step_retry"),
    path("<slug:slug>/", views.workflow_detail, name="detail"),
    path("<slug:slug>/start", views.workflow_start, name="start"),
]
