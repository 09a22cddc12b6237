"""Writes for company settings and B2C service activation. Every write is recorded.

Each service owns its transaction, takes the acting user (None only where nobody is logged in:
the signer accepting the terms, and the periodic poll) and raises `CompanyError` with the field
and rule it refuses. A failed step leaves the previous state intact. Calls to the network are
made between two short transactions (intent with an idempotency key, then the result), never
inside one; email goes out on commit.
"""

from .history import CompanyError, TermsLinkError
from .norway import (
    CAPTURE_KID_FIELDS,
    TERMS_SALT,
    accept_terms,
    deactivate_norway_service,
    read_terms_link,
    request_norway_activation,
    resend_terms_email,
    send_norway_deactivation,
    send_terms_email,
    submit_norway_activation,
    terms_token,
    terms_url,
)
from .operator import (
    ConnectionTestResult,
    check_operator_connection,
    credentials_of_company,
    operator_client,
    operator_credentials,
    save_operator_connection,
)
from .polling import (
    check_activation_now,
    poll_activation_by_reference,
    poll_activation_status,
    poll_pending_activations,
    request_status_check,
)
from .settings import (
    update_altinn_settings,
    update_autoinvoice_settings,
    update_company_details,
    update_company_facts,
    update_ledger_preferences,
)
from .sweden import (
    accounts_under_fui,
    add_receiving_account,
    send_receiving_account,
    send_sweden_activation,
    submit_sweden_activation,
)

__all__ = [
    "CAPTURE_KID_FIELDS",
    "TERMS_SALT",
    "CompanyError",
    "ConnectionTestResult",
    "TermsLinkError",
    "accept_terms",
    "accounts_under_fui",
    "add_receiving_account",
    "check_activation_now",
    "check_operator_connection",
    "credentials_of_company",
    "deactivate_norway_service",
    "operator_client",
    "operator_credentials",
    "poll_activation_by_reference",
    "poll_activation_status",
    "poll_pending_activations",
    "read_terms_link",
    "request_norway_activation",
    "request_status_check",
    "resend_terms_email",
    "save_operator_connection",
    "send_norway_deactivation",
    "send_receiving_account",
    "send_sweden_activation",
    "send_terms_email",
    "submit_norway_activation",
    "submit_sweden_activation",
    "terms_token",
    "terms_url",
    "update_altinn_settings",
    "update_autoinvoice_settings",
    "update_company_details",
    "update_company_facts",
    "update_ledger_preferences",
]
