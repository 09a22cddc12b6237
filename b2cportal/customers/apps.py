from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "b2cportal.customers"
    label = "customers"
    verbose_name = _("Customers")
    nav_items = [
        {
            "url": "customers:list",
            "label": _("Customers"),
            "icon": "bi-people",
            "roles": ("administrator", "accountant", "support"),
            "order": 10,
        }
    ]

    def ready(self) -> None:
        # The demo data grows with the apps: each app adds its own part of seed_demo.
        from b2cportal.companies.demo import DEMO_SEEDERS

        from .demo import seed_demo_customers

        if seed_demo_customers not in DEMO_SEEDERS:
            DEMO_SEEDERS.append(seed_demo_customers)
