from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class ToolsConfig(AppConfig):
    name = "apps.tools"
    label = "tools"

    def ready(self) -> None:
        # Each domain app declares its tools in its own tools.py.
        autodiscover_modules("tools")
