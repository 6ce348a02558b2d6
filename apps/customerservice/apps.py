from django.apps import AppConfig


class CustomerserviceConfig(AppConfig):
    name = "apps.customerservice"
    label = "customerservice"
