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
    # The active B2C services come first: the other apps' demo data relies on them.
    demo_seeders = [
        (0, "simulator.demo.seed_active_services"),
        (90, "simulator.demo.seed_simulated_network"),
    ]

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system check)
