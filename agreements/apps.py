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

    def simulator_consumer_panel(self, request) -> str:
        """The consumer simulator's list of agreement requests sent for the current company's
        customers, so a simulated consumer can open the link without the Django admin. The
        network app (the lowest layer) collects panels from AppConfigs and never imports us."""
        from urllib.parse import urlsplit

        from django.template.loader import render_to_string

        from .selectors import SIMULATED_REQUESTS_LIMIT, recent_consumer_requests

        company = getattr(request, "company", None)
        if company is None:
            return ""
        rows = [(r, urlsplit(r.link).path) for r in recent_consumer_requests(company=company)]
        return render_to_string(
            "agreements/simulated_requests.html",
            {"rows": rows, "limit": SIMULATED_REQUESTS_LIMIT},
            request=request,
        )

    def ready(self) -> None:
        from b2cportal.companies.demo import DEMO_SEEDERS

        from .demo import seed_demo_agreements

        if seed_demo_agreements not in DEMO_SEEDERS:
            DEMO_SEEDERS.append(seed_demo_agreements)
        # The customer screen (b2cportal.customers) shows registered tabs; ours is the
        # "Other invoice settings" tab.
        from b2cportal.customers.tabs import CUSTOMER_DETAIL_TABS

        entry = (_("Other invoice settings"), "agreements/customer_tab.html")
        if entry not in CUSTOMER_DETAIL_TABS:
            CUSTOMER_DETAIL_TABS.append(entry)
