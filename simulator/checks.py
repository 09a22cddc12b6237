"""The simulator never holds the production webhook secret."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def own_webhook_secret(app_configs, **kwargs):
    secret = settings.SIMULATOR_WEBHOOK_SECRET
    if not secret:
        return [Error("SIMULATOR_WEBHOOK_SECRET is empty.", id="simulator.E001")]
    if secret == settings.NETWORK_WEBHOOK_SECRET:
        return [
            Error(
                "SIMULATOR_WEBHOOK_SECRET equals NETWORK_WEBHOOK_SECRET: the simulator must sign "
                "with its own secret, never the production one.",
                id="simulator.E002",
            )
        ]
    return []
