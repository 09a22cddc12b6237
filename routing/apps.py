from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = _("Routing and delivery")
    nav_items = [
        {
            "url": "routing:bulk",
            "label": _("Send to AutoInvoice"),
            "country_labels": {"SE": _("Send to Maventa")},
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

    # The invoice screens name the channel an invoice went out by (stored as a code).
    delivery_channels = ["routing.decision.Channel"]
    # Sending and delivery events join the invoice's History timeline.
    invoice_history_sources = ["routing.history.delivery_history"]
