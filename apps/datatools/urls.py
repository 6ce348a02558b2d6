from django.urls import path

from apps.datatools import views

app_name = "datatools"

urlpatterns = [
    path("", views.dataset_list, name="datasets"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<str:report_id>/download", views.report_download, name="report_download"),
    path("files/", views.file_list, name="files"),
    path("charts/<str:analysis_id>.svg", views.analysis_chart, name="analysis_chart"),
    path("<str:data_id>/", views.dataset_detail, name="dataset"),
]
