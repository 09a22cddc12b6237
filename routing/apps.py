from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = _("Routing and delivery")
    nav_items = [
        {
            "url": "routing:bulk",
            "label": _("Send to AutoInvoice"),
            "icon": "bi-send",
            "roles": ("administrator", "accountant"),
        },
        {
            "url": "routing:billing",
            "label": _("Billing report"),
            "icon": "bi-cash-coin",
            "roles": ("administrator", "accountant", "support"),
        },
        {
            "url": "simulator_deliveries:index",
            "label": _("Network simulator: received documents"),
            "icon": "bi-inbox",
            "roles": ("administrator", "accountant", "support"),
        },
    ]
