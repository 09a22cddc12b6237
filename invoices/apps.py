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
        # The foundation's seed_demo runs every hook in DEMO_SEEDERS; register ours when that
        # module exists (it arrives with the foundation branch).
        try:
            from b2cportal.companies import demo
        except ImportError:
            return
        from .demo import seed_invoices

        seeders = getattr(demo, "DEMO_SEEDERS", None)
        if seeders is not None and seed_invoices not in seeders:
            seeders.append(seed_invoices)
