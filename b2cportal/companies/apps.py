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

    def ready(self):
        from functools import partial

        from b2cportal.network.polling import register_reference_poller, register_status_poller
        from b2cportal.queueing import publish

        from .services.polling import poll_activation_by_reference
        from .tasks import poll_activations

        # The simulator pages ask for a poll after they changed the network's answer.
        # Published safely: a broker outage never fails the page (beat polls every 30 s anyway).
        register_status_poller(partial(publish, poll_activations))
        # *Complete now* polls its one activation synchronously so the redirect shows the result.
        register_reference_poller(poll_activation_by_reference)
        # The operator adapter asks for a company's credentials without knowing our models.
        from b2cportal.network.maventa.adapter import set_credentials_provider

        from .services.operator import credentials_of_company

        set_credentials_provider(credentials_of_company)
