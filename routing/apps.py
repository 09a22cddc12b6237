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
        {
            "url": "simulator_deliveries:index",
            "label": _("Network simulator: received documents"),
            "icon": "bi-inbox",
            "roles": ("administrator", "accountant", "support"),
            "group": "simulator",
        },
    ]

    def ready(self) -> None:
        from b2cportal.companies.demo import DEMO_SEEDERS

        from .demo import seed_network_directory

        if seed_network_directory not in DEMO_SEEDERS:
            DEMO_SEEDERS.append(seed_network_directory)
