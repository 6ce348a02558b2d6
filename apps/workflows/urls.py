from django.urls import path

from apps.workflows import views

app_name = "workflows"

urlpatterns = [
    path("", views.workflow_list, name="list"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/steps/<str:step_id>/retry", views.step_retry_view, name="step_retry"),
    path("<slug:slug>/", views.workflow_detail, name="detail"),
    path("<slug:slug>/start", views.workflow_start, name="start"),
]
