from django.urls import path

from apps.datatools import apis

app_name = "datatools_api"

urlpatterns = [
    path("datasets/", apis.DatasetListApi.as_view(), name="datasets"),
    path("datasets/<str:data_id>/", apis.DatasetDetailApi.as_view(), name="dataset"),
    path("reports/", apis.ReportListApi.as_view(), name="reports"),
    path(
        "reports/<str:report_id>/download",
        apis.ReportDownloadApi.as_view(),
        name="report_download",
    ),
]
