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

        from .demo import seed_invoices

        if seed_invoices not in DEMO_SEEDERS:
            DEMO_SEEDERS.append(seed_invoices)

        from b2cportal.companies.services.company import ORGANISATION_NUMBER_LOCKS

        if released_invoice_lock not in ORGANISATION_NUMBER_LOCKS:
            ORGANISATION_NUMBER_LOCKS.append(released_invoice_lock)


def released_invoice_lock(company) -> str | None:
    """A released document carries the seller's organisation number: it is fixed from then on."""
    from django.utils.translation import gettext

    from .models import Invoice

    if Invoice.objects.filter(company=company, released_at__isnull=False).exists():
        return gettext("the company has released an invoice")
    return None
