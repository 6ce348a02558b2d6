from django.urls import path
from django.views.generic import RedirectView

from apps.rbac import views

app_name = "rbac"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="rbac:matrix"), name="index"),
    path("matrix/", views.matrix, name="matrix"),
    path("matrix/<int:role_id>/<str:tool_name>/", views.cell, name="cell"),
    path("matrix/<int:role_id>/<str:tool_name>/edit/", views.cell_edit, name="cell-edit"),
    path("roles/", views.roles, name="roles"),
]
