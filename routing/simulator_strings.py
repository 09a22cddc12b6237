"""Translatable text of the delivery *Network simulator* pages and inbox model in
`b2cportal/network` (which routing owns). Listed here so routing's catalogue carries their
Norwegian and Swedish translations without routing editing the network app's shared locale.
"""

from django.utils.translation import gettext_noop

SIMULATOR_STRINGS = [
    gettext_noop("Address"),
    gettext_noop("All inboxes"),
    gettext_noop("Day"),
    gettext_noop("Document"),
    gettext_noop("Inbox"),
    gettext_noop("Name"),
    gettext_noop("Network simulator: print spool"),
    gettext_noop("Nothing received yet."),
    gettext_noop("PDFs waiting for the print service, from each day's batch manifest."),
    gettext_noop("Print spool"),
    gettext_noop("Received documents"),
    gettext_noop("Received"),
    gettext_noop("Recipient"),
    gettext_noop("Repeated deliveries"),
    gettext_noop("Show"),
    gettext_noop("Simulated"),
    gettext_noop("The print spool is empty."),
    gettext_noop(
        "What each receiver got from your company: consumers' online banks, Billo and Kivra "
        "inboxes, Peppol, internal and operator receivers."
    ),
    gettext_noop("Recipient (SSN, organisation number)"),
    gettext_noop("Internal network receiver"),
    gettext_noop("Online bank (Norway, eFaktura)"),
    gettext_noop("Online bank (Sweden, FMI)"),
    gettext_noop("Peppol receiver"),
    gettext_noop("Swedish operator network receiver"),
    gettext_noop("content type"),
    gettext_noop("document UUID"),
    gettext_noop("document number"),
    gettext_noop("document"),
    gettext_noop("inbox document (simulated)"),
    gettext_noop("inbox documents (simulated)"),
    gettext_noop("inbox"),
    gettext_noop("issuer name"),
    gettext_noop("issuer"),
    gettext_noop("received"),
    gettext_noop("recipient name"),
    gettext_noop("recipient"),
    gettext_noop("repeated deliveries"),
    # b2cportal.network.models.DeliveryFault: per-receiver failures of the simulated network.
    gettext_noop("Delivers normally"),
    gettext_noop("Rejects the document"),
    gettext_noop("Refuses the delivery (permanent error)"),
    gettext_noop("Temporarily unavailable (try again later)"),
    gettext_noop("Accepts the document, then times out"),
    gettext_noop("Accepts, delivers later (stays accepted)"),
    gettext_noop("simulated delivery failure"),
    gettext_noop("Makes the simulated network fail deliveries to this receiver this way."),
]
