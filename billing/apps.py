from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Invoice import and batches")
    nav_items = [
        {
            "url": "billing:import",
            "label": _("Import invoices"),
            "icon": "bi-upload",
            "roles": ("administrator", "accountant"),
            "order": 25,
        },
    ]
