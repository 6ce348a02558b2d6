"""The project's URLs plus the receiver include the lead adds to owm/urls.py."""

from django.urls import include, path

from owm.urls import urlpatterns as project

urlpatterns = [path("hooks/", include("apps.webhooks.hook_urls")), *project]
