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
    demo_seeders = [(30, "invoices.demo.seed_invoices")]
    # A released document carries the seller's organisation number: it is fixed from then on.
    organisation_number_locks = ["invoices.selectors.released_invoice_lock"]

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
