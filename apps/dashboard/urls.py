from django.urls import path

from apps.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.agent_list, name="agents"),
    path("overview/", views.overview, name="overview"),
    path("agents/<slug:slug>/", views.agent_console, name="console"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run"),
    path("approvals/", views.approvals_inbox, name="approvals"),
    path("approvals/<int:approval_id>/decide", views.approval_decide_view, name="approval-decide"),
    path("tools/", views.tool_list, name="tools"),
    path("tools/<str:name>/", views.tool_detail, name="tool"),
    path("insights/", views.insights, name="insights"),
    path("metrics", views.metrics, name="metrics"),
    path("inventory/", views.inventory, name="inventory"),
    path("inventory/orders/<str:number>/", views.purchase_order_detail, name="order"),
    path(
        "inventory/orders/<str:number>/<str:action>/",
        views.purchase_order_action,
        name="order-action",
    ),
    path("endpoints/", views.endpoint_list, name="endpoints"),
    path("endpoints/<slug:name>/check/", views.endpoint_check_view, name="endpoint-check"),
    path("admin-center/", views.admin_center, name="admin-center"),
    path("admin-center/users/<int:user_id>/active/", views.user_toggle_active, name="user-active"),
]
