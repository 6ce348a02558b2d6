from django.apps import AppConfig


class DatatoolsConfig(AppConfig):
    name = "apps.datatools"
    label = "datatools"
