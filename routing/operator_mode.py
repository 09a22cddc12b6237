"""Which mode routes (DESIGN §5): self-routed (simulated network) or operator-routed.

In operator-routed mode (`NETWORK_ADAPTER=maventa`) the operator routes, holds and bills; our
route decision is the prediction and the source of the constraints we send. The operator has no
FMI or mailbox lookup, and directory calls would otherwise happen while a delivery row is locked,
so the prediction is made without directories: their answers count as unknown.
"""

from __future__ import annotations

from django.conf import settings

from b2cportal.network.adapter import adapter_class


def operator_routed() -> bool:
    """True when the configured network routes itself (the real operator)."""
    return adapter_class(settings.NETWORK_ADAPTER).routes_itself


class UnknownDirectory:
    """Directory answers when the operator routes: nothing asked.

    Peppol and mailbox answers count as unknown. A Swedish consumer with a personnummer is
    predicted to the bank (FMI): the operator chooses between bank, Kivra and Billo itself and
    reports which, shown beside the prediction.
    """

    def lookup_participants(self, identifiers: list[str]) -> dict[str, set[str]]:
        return {}

    def lookup_fmi(self, ssns: list[str], issuer_fui: str = "") -> set[str]:
        return set(ssns)

    def lookup_mailboxes(self, ssns: list[str]) -> dict[str, set[str]]:
        return {}
