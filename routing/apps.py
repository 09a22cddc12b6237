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
            "order": 30,
        },
        {
            "url": "routing:billing",
            "label": _("Billing report"),
            "icon": "bi-cash-coin",
            "roles": ("administrator", "accountant", "support"),
            "order": 60,
        },
    ]
