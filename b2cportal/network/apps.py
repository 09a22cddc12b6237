from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    """The network interface (no models): types, errors, inbound events, adapter registry."""

    name = "b2cportal.network"
    label = "network"
    verbose_name = _("Delivery network")
