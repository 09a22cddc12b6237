"""Every write about consumer agreements. Each service owns its transaction.

The package is split by subject; every public name is re-exported here, so callers keep using
`from agreements import services` / `from agreements.services import handle_customer_saved`.

- core: the domain error, the transition table, locking and transitions (DESIGN §4 integrity)
- requests: agreement requests by SMS/email (Norway), sending once, the sweeper
- events: signed inbound events from the network (eFaktura, FMI)
- capture: agreement capture from OCR payments with a KID
- directory: Ja takk til alle lookups in the eFaktura receiver directory
- manual: changes users make by hand
"""

from .core import (
    ALLOWED_TRANSITIONS,
    AgreementError,
    InboundOutcome,
)
from .directory import (
    check_customer_in_directory,
    check_efaktura_directory,
    queue_weekly_directory_checks,
)
from .events import EVENT_TYPES, NORWAY_TARGETS, SWEDEN_TARGETS, apply_inbound_event
from .manual import mark_agreement_deleted
from .requests import (
    OPEN_REQUEST_STATUSES,
    REQUEST_QUIET_PERIOD,
    REQUEUE_AFTER,
    SENDING_TIMEOUT,
    Contact,
    consumer_contact,
    deliver_agreement_request,
    handle_customer_saved,
    request_agreements_for_customer,
    resend_agreement_request,
    sweep_agreement_requests,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "EVENT_TYPES",
    "NORWAY_TARGETS",
    "OPEN_REQUEST_STATUSES",
    "REQUEST_QUIET_PERIOD",
    "REQUEUE_AFTER",
    "SENDING_TIMEOUT",
    "SWEDEN_TARGETS",
    "AgreementError",
    "Contact",
    "InboundOutcome",
    "apply_inbound_event",
    "check_customer_in_directory",
    "check_efaktura_directory",
    "consumer_contact",
    "deliver_agreement_request",
    "handle_customer_saved",
    "mark_agreement_deleted",
    "queue_weekly_directory_checks",
    "request_agreements_for_customer",
    "resend_agreement_request",
    "sweep_agreement_requests",
]
