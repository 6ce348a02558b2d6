from django.urls import path

from apps.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.agent_list, name="agents"),
    path("agents/<slug:slug>/", views.agent_console, name="console"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run"),
    path("approvals/", views.approvals_inbox, name="approvals"),
    path("approvals/<int:approval_id>/decide", views.approval_decide_view, name="approval-decide"),
]
