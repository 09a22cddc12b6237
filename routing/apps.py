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

    def ready(self) -> None:
        from django.utils import translation

        from invoices.models import DELIVERY_CHANNEL_CODES_BY_ENGLISH_LABEL, DELIVERY_CHANNEL_LABELS

        from .decision import Channel

        # The invoice screens name the channel an invoice went out by (stored as a code).
        DELIVERY_CHANNEL_LABELS.update(Channel.choices)
        with translation.override("en"):
            DELIVERY_CHANNEL_CODES_BY_ENGLISH_LABEL.update(
                (str(label), code) for code, label in Channel.choices
            )
        # Sending and delivery events join the invoice's History timeline.
        from invoices.history import HISTORY_SOURCES

        from .history import delivery_history

        if delivery_history not in HISTORY_SOURCES:
            HISTORY_SOURCES.append(delivery_history)
