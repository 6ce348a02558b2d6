from django.urls import path

from apps.webhooks import hooks

app_name = "hooks"

urlpatterns = [path("<slug:slug>/", hooks.receive, name="receive")]
