from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("REST API")
    # Tabs this app adds to the Settings navigation (see companies/_settings_nav.html).
    settings_nav_items = [
        {
            "url": "api_keys:list",
            "label": _("API keys"),
            "active": "api_keys",
            "roles": ("administrator",),
        }
    ]

    def ready(self) -> None:
        # Registers the OpenAPI description of the API-key authentication.
        from . import schema  # noqa: F401
