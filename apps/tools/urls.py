from django.urls import path

from apps.tools import apis

urlpatterns = [
    path("tools/", apis.ToolListApi.as_view(), name="api-tools"),
    path("tools/<str:name>/invoke", apis.ToolInvokeApi.as_view(), name="api-tool-invoke"),
    path("approvals/", apis.ApprovalListApi.as_view(), name="api-approvals"),
    path(
        "approvals/<int:approval_id>/approve",
        apis.ApprovalDecideApi.as_view(approve=True),
        name="api-approval-approve",
    ),
    path(
        "approvals/<int:approval_id>/reject",
        apis.ApprovalDecideApi.as_view(approve=False),
        name="api-approval-reject",
    ),
]
