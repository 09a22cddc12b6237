from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompaniesConfig(AppConfig):
    name = "b2cportal.companies"
    label = "companies"
    verbose_name = _("Companies")
    nav_items = [
        {
            "url": "companies:autoinvoice",
            "label": _("Settings"),
            "icon": "bi-gear",
            "roles": ("administrator", "accountant", "support"),
            "order": 90,
        },
    ]

    # The network layer (below us) calls back without importing us (b2cportal.extensions):
    # the simulator pages ask for a poll after they changed the network's answer ...
    network_status_pollers = ["b2cportal.companies.tasks.request_activation_poll"]
    # ... and *Complete now* polls its one activation synchronously so the redirect shows it.
    network_reference_pollers = [
        "b2cportal.companies.services.polling.poll_activation_by_reference"
    ]
    # The operator adapter asks for a company's credentials.
    operator_credentials_providers = [
        "b2cportal.companies.services.operator.credentials_of_company"
    ]
