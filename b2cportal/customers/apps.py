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
    demo_seeders = [(10, "b2cportal.customers.demo.seed_demo_customers")]
