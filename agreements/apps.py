from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Agreements")
    nav_items = [
        {
            "url": "agreements:list",
            "label": _("Agreements"),
            "icon": "bi-patch-check",
            "roles": ("administrator", "accountant", "support"),
            "order": 40,
        }
    ]

    def ready(self) -> None:
        from b2cportal.companies.demo import DEMO_SEEDERS

        from .demo import seed_demo_agreements

        if seed_demo_agreements not in DEMO_SEEDERS:
            DEMO_SEEDERS.append(seed_demo_agreements)
        # The customer screen (b2cportal.customers) shows registered tabs; ours is the
        # "Other invoice settings" tab. The registry may not exist in every build.
        try:
            from b2cportal.customers.tabs import CUSTOMER_DETAIL_TABS
        except ImportError:
            return
        entry = (_("Other invoice settings"), "agreements/customer_tab.html")
        if entry not in CUSTOMER_DETAIL_TABS:
            CUSTOMER_DETAIL_TABS.append(entry)
