from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

ANY_ROLE = ("administrator", "accountant", "support")


class SimulatorConfig(AppConfig):
    """The simulated delivery network (DESIGN §2): installed only with NETWORK_ADAPTER=simulated.

    Nothing outside this app imports it; the network interface finds its adapter by the dotted
    path in `b2cportal.network.adapter.ADAPTERS`.
    """

    name = "simulator"
    verbose_name = _("Network simulator")
    default_auto_field = "django.db.models.BigAutoField"
    # The network's own side is for superusers and simulator operators: the menu shows it to
    # superusers; operators reach it from the Consumers page.
    nav_items = [
        {
            "url": "simulator:activations",
            "label": _("Service activations"),
            "icon": "bi-toggles",
            "roles": ANY_ROLE,
            "superuser": True,
            "group": "simulator",
        },
        {
            "url": "simulator_consumers:index",
            "label": _("Consumers: online bank, onboarding, eFaktura directory"),
            "icon": "bi-phone",
            "roles": ANY_ROLE,
            "group": "simulator",
        },
        {
            "url": "simulator_deliveries:index",
            "label": _("Network simulator: received documents"),
            "icon": "bi-inbox",
            "roles": ANY_ROLE,
            "group": "simulator",
        },
    ]

    def ready(self) -> None:
        from b2cportal.companies.demo import DEMO_SEEDERS

        from . import checks  # noqa: F401  (registers the system check)
        from .demo import seed_active_services, seed_simulated_network

        # The active B2C services come first: the other apps' demo data relies on them.
        if seed_active_services not in DEMO_SEEDERS:
            DEMO_SEEDERS.insert(0, seed_active_services)
        if seed_simulated_network not in DEMO_SEEDERS:
            DEMO_SEEDERS.append(seed_simulated_network)
