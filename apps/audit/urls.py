from django.urls import path

from apps.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.entry_list, name="entries"),
    path("verify/", views.chain_verify, name="verify"),
    path("export.csv", views.export, {"fmt": "csv"}, name="export-csv"),
    path("export.json", views.export, {"fmt": "json"}, name="export-json"),
]
