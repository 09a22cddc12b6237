from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "b2cportal.network"
    label = "network"
    verbose_name = _("Delivery network (simulated)")
    nav_items = [
        {
            "url": "network:activations",
            "label": _("Service activations"),
            "icon": "bi-toggles",
            "roles": ("administrator", "accountant", "support"),
            "group": "simulator",
        },
        {
            "url": "simulator_consumers:index",
            "label": _("Consumers: online bank, onboarding, eFaktura directory"),
            "icon": "bi-phone",
            "roles": ("administrator", "accountant", "support"),
            "group": "simulator",
        },
    ]
