from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

ANY_ROLE = ("administrator", "accountant", "support")
OPERATE_NETWORK = "simulator.operate_network"


class SimulatorConfig(AppConfig):
    """The simulated delivery network (DESIGN §2): installed only with NETWORK_ADAPTER=simulated.

    Nothing outside this app imports it; the network interface finds its adapter by the dotted
    path in `b2cportal.network.adapter.ADAPTERS`.
    """

    name = "simulator"
    verbose_name = _("Network simulator")
    default_auto_field = "django.db.models.BigAutoField"
    # Items with a "permission" are shown only to users who hold it (superusers hold all).
    nav_items = [
        {
            "url": "simulator:activations",
            "label": _("Service activations"),
            "icon": "bi-toggles",
            "roles": ANY_ROLE,
            "permission": OPERATE_NETWORK,
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
        from .demo import seed_simulated_network

        if seed_simulated_network not in DEMO_SEEDERS:
            DEMO_SEEDERS.append(seed_simulated_network)
