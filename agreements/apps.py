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

    demo_seeders = [(20, "agreements.demo.seed_demo_agreements")]
    # The customer screen (b2cportal.customers) shows our "Other invoice settings" tab.
    customer_tabs = [(_("Other invoice settings"), "agreements/customer_tab.html")]
    # The consumer simulator's page lists the agreement requests sent (a simulated consumer
    # opens the link from there).
    simulator_consumer_panels = ["agreements.views.simulator_consumer_panel"]
