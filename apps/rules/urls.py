from django.urls import path

from apps.rules import views

app_name = "rules"

urlpatterns = [
    path("", views.rule_list, name="list"),
    path("new/", views.rule_create, name="create"),
    path("firings/", views.firing_list, name="firings"),
    path("firings/<int:pk>/", views.firing_detail, name="firing"),
    path("<slug:name>/", views.rule_edit, name="edit"),
    path("<slug:name>/toggle/", views.rule_toggle, name="toggle"),
    path("<slug:name>/test/", views.rule_test, name="test"),
]
