from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "b2cportal.webhooks"
    label = "webhooks"
    verbose_name = _("Outbound webhooks")
    # Tabs this app adds to the Settings navigation (see companies/_settings_nav.html).
    settings_nav_items = [
        {
            "url": "webhooks:list",
            "label": _("Webhooks"),
            "active": "webhooks",
            "roles": ("administrator",),
        }
    ]
