from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = _("Invoices")
    nav_items = [
        {
            "url": "invoices:list",
            "label": _("Invoices"),
            "icon": "bi-receipt",
            "roles": ("administrator", "accountant", "support"),
            "order": 20,
        }
    ]

    def ready(self) -> None:
        # The foundation's seed_demo runs every hook in DEMO_SEEDERS.
        from b2cportal.companies.demo import DEMO_SEEDERS

        from . import checks  # noqa: F401  (registers the system checks)
        from .demo import seed_invoices

        if seed_invoices not in DEMO_SEEDERS:
            DEMO_SEEDERS.append(seed_invoices)
