"""Table-driven: one row per routing rule in the seeds, with the trace each produces."""

from __future__ import annotations

import pytest
from django.utils import translation

from routing.decision import BillingAction, Channel, DocumentFormat, RouteInputs, decide, rule_label

NO_CONSUMER = {
    "country": "NO",
    "customer_kind": "consumer",
    "einvoice_norway": True,
    "b2cno_active": True,
    "email": "kari@example.no",
    "has_postal_address": True,
}
SE_CONSUMER = {
    "country": "SE",
    "customer_kind": "consumer",
    "has_national_id": True,
    "endpoint_id": "198112189876",
    "b2cse_active": True,
    "days_until_due": 10,
    "email": "sven@example.se",
    "has_postal_address": True,
}


def _row(base, **changes):
    return {**base, **changes}


# (id, inputs, channel, billing action, hold, trace as (rule, outcome) pairs)
ROWS = [
    (
        "internal network first",
        _row(
            NO_CONSUMER,
            customer_kind="business",
            internal_participant=True,
            peppol_participant=True,
        ),
        Channel.INTERNAL,
        BillingAction.INTERNAL,
        False,
        [("delivery_method", "passed"), ("internal", "passed"), ("chosen:internal", "chosen")],
    ),
    (
        "peppol when in the directory",
        _row(NO_CONSUMER, customer_kind="business", peppol_participant=True),
        Channel.PEPPOL,
        BillingAction.PEPPOL,
        False,
        [
            ("delivery_method", "passed"),
            ("internal", "failed"),
            ("peppol", "passed"),
            ("chosen:peppol", "chosen"),
        ],
    ),
    (
        "SE operator address book",
        _row(SE_CONSUMER, customer_kind="business", operator_participant=True),
        Channel.OPERATOR_SE,
        BillingAction.OPERATOR_SE,
        False,
        [
            ("delivery_method", "passed"),
            ("inexchange_forced", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("operator_se", "passed"),
            ("chosen:operator_se", "chosen"),
        ],
    ),
    (
        "SE InExchange customer with prevent routing through InExchange off forces InExchange",
        _row(
            SE_CONSUMER,
            is_inexchange_customer=True,
            prevent_routing_through_inexchange=False,
            fmi_active=True,
        ),
        Channel.OPERATOR_SE,
        BillingAction.OPERATOR_SE,
        False,
        [
            ("delivery_method", "passed"),
            ("inexchange_forced", "failed"),
            ("chosen:operator_se", "chosen"),
        ],
    ),
    (
        "NO eFaktura with active agreement",
        _row(NO_CONSUMER, norway_agreement_status="ACTIVE"),
        Channel.EFAKTURA_NO,
        BillingAction.EINVOICE_BANK_B2C_NO,
        False,
        [
            ("delivery_method", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("norway_consumer", "passed"),
            ("norway_service_active", "passed"),
            ("norway_agreement", "passed"),
            ("chosen:efaktura_no", "chosen"),
        ],
    ),
    *[
        (
            f"NO consumer route anyway, agreement {status}: hold as eFaktura",
            _row(NO_CONSUMER, norway_agreement_status=status, consumer_route_anyway=True),
            Channel.EFAKTURA_NO,
            BillingAction.EINVOICE_BANK_B2C_NO,
            True,
            [
                ("delivery_method", "passed"),
                ("internal", "failed"),
                ("peppol", "failed"),
                ("norway_consumer", "passed"),
                ("norway_service_active", "passed"),
                ("norway_agreement", "failed"),
                ("norway_consumer_route_anyway", "passed"),
                ("norway_agreement_pending", "passed"),
                ("chosen:efaktura_no", "chosen"),
            ],
        )
        # The consumer can still accept within the three days: wait.
        for status in ("NEW", "REQUEST_SENT", "ACCEPTED")
    ],
    *[
        (
            f"NO consumer route anyway, agreement {status or 'none'}: email at once",
            _row(NO_CONSUMER, norway_agreement_status=status, consumer_route_anyway=True),
            Channel.EMAIL,
            BillingAction.EMAIL,
            False,
            [
                ("delivery_method", "passed"),
                ("internal", "failed"),
                ("peppol", "failed"),
                ("norway_consumer", "passed"),
                ("norway_service_active", "passed"),
                ("norway_agreement", "failed"),
                ("norway_consumer_route_anyway", "passed"),
                (rule, "failed"),
                ("fallback_email", "passed"),
                ("chosen:email", "chosen"),
            ],
        )
        # Declined, blocked via JTTA, failed, or never requested: nothing to wait for.
        for status, rule in (
            ("REJECTED", "norway_agreement_declined"),
            ("DELETED", "norway_agreement_declined"),
            ("ERROR", "norway_agreement_error"),
            (None, "norway_agreement_missing"),
        )
    ],
    (
        "NO consumer route anyway, agreement REJECTED, no email: print at once",
        _row(NO_CONSUMER, norway_agreement_status="REJECTED", consumer_route_anyway=True, email=""),
        Channel.PRINT,
        BillingAction.PRINT,
        False,
        [
            ("delivery_method", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("norway_consumer", "passed"),
            ("norway_service_active", "passed"),
            ("norway_agreement", "failed"),
            ("norway_consumer_route_anyway", "passed"),
            ("norway_agreement_declined", "failed"),
            ("fallback_email", "failed"),
            ("fallback_print", "passed"),
            ("chosen:print", "chosen"),
        ],
    ),
    (
        "NO consumer route anyway, agreement ACTIVE: bank, no hold",
        _row(NO_CONSUMER, norway_agreement_status="ACTIVE", consumer_route_anyway=True),
        Channel.EFAKTURA_NO,
        BillingAction.EINVOICE_BANK_B2C_NO,
        False,
        [
            ("delivery_method", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("norway_consumer", "passed"),
            ("norway_service_active", "passed"),
            ("norway_agreement", "passed"),
            ("chosen:efaktura_no", "chosen"),
        ],
    ),
    (
        "NO no agreement and consumer route anyway off: email at once",
        _row(NO_CONSUMER, norway_agreement_status="REQUEST_SENT"),
        Channel.EMAIL,
        BillingAction.EMAIL,
        False,
        [
            ("delivery_method", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("norway_consumer", "passed"),
            ("norway_service_active", "passed"),
            ("norway_agreement", "failed"),
            ("norway_consumer_route_anyway", "failed"),
            ("fallback_email", "passed"),
            ("chosen:email", "chosen"),
        ],
    ),
    (
        "NO service not active",
        _row(NO_CONSUMER, b2cno_active=False, norway_agreement_status="ACTIVE"),
        Channel.EMAIL,
        BillingAction.EMAIL,
        False,
        [
            ("delivery_method", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("norway_consumer", "passed"),
            ("norway_service_active", "failed"),
            ("fallback_email", "passed"),
            ("chosen:email", "chosen"),
        ],
    ),
    (
        "NO customer not set up for e-invoice",
        _row(NO_CONSUMER, einvoice_norway=False, email=""),
        Channel.PRINT,
        BillingAction.PRINT,
        False,
        [
            ("delivery_method", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("norway_consumer", "failed"),
            ("fallback_email", "failed"),
            ("fallback_print", "passed"),
            ("chosen:print", "chosen"),
        ],
    ),
    (
        "SE bank via active FMI",
        _row(SE_CONSUMER, fmi_active=True, billo_account=True),
        Channel.BANK_SE,
        BillingAction.EINVOICE_BANK_B2C_SECO,
        False,
        [
            ("delivery_method", "passed"),
            ("inexchange_forced", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("operator_se", "failed"),
            ("se_consumer", "passed"),
            ("se_service_active", "passed"),
            ("se_ssn", "passed"),
            ("se_not_credit_note", "passed"),
            ("se_due_date", "passed"),
            ("se_fmi", "passed"),
            ("chosen:bank_se", "chosen"),
        ],
    ),
    (
        "SE Billo before Kivra",
        _row(SE_CONSUMER, billo_account=True, kivra_account=True),
        Channel.BILLO,
        BillingAction.EINVOICE_B2C_SECO_BILLO,
        False,
        [
            ("delivery_method", "passed"),
            ("inexchange_forced", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("operator_se", "failed"),
            ("se_consumer", "passed"),
            ("se_service_active", "passed"),
            ("se_ssn", "passed"),
            ("se_not_credit_note", "passed"),
            ("se_due_date", "passed"),
            ("se_fmi", "failed"),
            ("se_billo", "passed"),
            ("chosen:billo", "chosen"),
        ],
    ),
    (
        "SE Kivra when no FMI and no Billo",
        _row(SE_CONSUMER, kivra_account=True),
        Channel.KIVRA,
        BillingAction.EINVOICE_B2C_SECO_KIVRA,
        False,
        [
            ("delivery_method", "passed"),
            ("inexchange_forced", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("operator_se", "failed"),
            ("se_consumer", "passed"),
            ("se_service_active", "passed"),
            ("se_ssn", "passed"),
            ("se_not_credit_note", "passed"),
            ("se_due_date", "passed"),
            ("se_fmi", "failed"),
            ("se_billo", "failed"),
            ("se_kivra", "passed"),
            ("chosen:kivra", "chosen"),
        ],
    ),
    (
        "SE B2CSE not active",
        _row(SE_CONSUMER, b2cse_active=False, fmi_active=True),
        Channel.EMAIL,
        BillingAction.EMAIL,
        False,
        [
            ("delivery_method", "passed"),
            ("inexchange_forced", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("operator_se", "failed"),
            ("se_consumer", "passed"),
            ("se_service_active", "failed"),
            ("fallback_email", "passed"),
            ("chosen:email", "chosen"),
        ],
    ),
    (
        "SE without SSN skips B2C",
        _row(SE_CONSUMER, has_national_id=False, fmi_active=True),
        Channel.EMAIL,
        BillingAction.EMAIL,
        False,
        [
            ("delivery_method", "passed"),
            ("inexchange_forced", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("operator_se", "failed"),
            ("se_consumer", "passed"),
            ("se_service_active", "passed"),
            ("se_ssn", "failed"),
            ("fallback_email", "passed"),
            ("chosen:email", "chosen"),
        ],
    ),
    (
        "SE credit note skips B2C",
        _row(SE_CONSUMER, is_credit_note=True, fmi_active=True, email=""),
        Channel.PRINT,
        BillingAction.PRINT,
        False,
        [
            ("delivery_method", "passed"),
            ("inexchange_forced", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("operator_se", "failed"),
            ("se_consumer", "passed"),
            ("se_service_active", "passed"),
            ("se_ssn", "passed"),
            ("se_not_credit_note", "failed"),
            ("fallback_email", "failed"),
            ("fallback_print", "passed"),
            ("chosen:print", "chosen"),
        ],
    ),
    (
        "SE less than 3 days before due date skips B2C",
        _row(SE_CONSUMER, days_until_due=2, fmi_active=True),
        Channel.EMAIL,
        BillingAction.EMAIL,
        False,
        [
            ("delivery_method", "passed"),
            ("inexchange_forced", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("operator_se", "failed"),
            ("se_consumer", "passed"),
            ("se_service_active", "passed"),
            ("se_ssn", "passed"),
            ("se_not_credit_note", "passed"),
            ("se_due_date", "failed"),
            ("fallback_email", "passed"),
            ("chosen:email", "chosen"),
        ],
    ),
    (
        "SE no FMI, Billo or Kivra: fallback print only",
        _row(SE_CONSUMER, fallback_order="print_only"),
        Channel.PRINT,
        BillingAction.PRINT,
        False,
        [
            ("delivery_method", "passed"),
            ("inexchange_forced", "passed"),
            ("internal", "failed"),
            ("peppol", "failed"),
            ("operator_se", "failed"),
            ("se_consumer", "passed"),
            ("se_service_active", "passed"),
            ("se_ssn", "passed"),
            ("se_not_credit_note", "passed"),
            ("se_due_date", "passed"),
            ("se_fmi", "failed"),
            ("se_billo", "failed"),
            ("se_kivra", "failed"),
            ("fallback_print", "passed"),
            ("chosen:print", "chosen"),
        ],
    ),
    (
        "customer delivery method print goes straight to print",
        _row(NO_CONSUMER, delivery_method="print", norway_agreement_status="ACTIVE"),
        Channel.PRINT,
        BillingAction.PRINT,
        False,
        [("delivery_method", "failed"), ("fallback_print", "passed"), ("chosen:print", "chosen")],
    ),
]


@pytest.mark.parametrize(
    ("inputs", "channel", "billing", "hold", "trace"),
    [pytest.param(r[1], r[2], r[3], r[4], r[5], id=r[0]) for r in ROWS],
)
def test_route_decision_table(inputs, channel, billing, hold, trace):
    decision = decide(RouteInputs(**inputs))
    assert decision.channel == channel
    assert decision.billing_action == billing
    assert decision.hold is hold
    assert [(s.rule, s.outcome) for s in decision.trace] == trace


def test_no_channel_when_email_only_and_no_email():
    decision = decide(
        RouteInputs(country="NO", fallback_order="email_only", has_postal_address=True)
    )
    assert decision.channel is None
    assert "No channel" in decision.error
    assert decision.trace[-1].rule == "fallback_email"


def test_trace_records_inputs():
    decision = decide(RouteInputs(**_row(SE_CONSUMER, days_until_due=1)))
    step = next(s for s in decision.trace if s.rule == "se_due_date")
    assert step.inputs == {"days_until_due": 1, "minimum": 3, "applies_to": "bank, billo, kivra"}
    assert decision.trace_json()[0]["rule"] == "delivery_method"


def test_document_formats():
    assert decide(RouteInputs(country="NO", has_postal_address=True)).document_format == (
        DocumentFormat.PDF
    )
    email = decide(RouteInputs(country="NO", email="a@b.no"))
    assert email.document_format == DocumentFormat.PDF_AND_UBL
    no_pdf = decide(RouteInputs(country="NO", email="a@b.no", do_not_send_pdf_by_email=True))
    assert no_pdf.document_format == DocumentFormat.UBL


def test_trace_masks_a_consumers_national_id():
    decision = decide(RouteInputs(**SE_CONSUMER))
    step = next(s for s in decision.trace if s.rule == "peppol")
    assert step.inputs["endpoint_id"] == "19811218****"
    business = decide(RouteInputs(country="NO", customer_kind="business", endpoint_id="974760673"))
    assert business.trace[1].inputs["endpoint_id"] == "974760673"


def test_decline_trace_names_the_reason_in_the_users_language():
    """The step that ends the wait is a labelled rule (translated), with the status as input."""
    decision = decide(
        RouteInputs(
            **_row(NO_CONSUMER, norway_agreement_status="DELETED", consumer_route_anyway=True)
        )
    )
    step = next(s for s in decision.trace if s.rule == "norway_agreement_declined")
    assert step.inputs == {"agreement_status": "DELETED"}
    assert "JTTA" in rule_label("norway_agreement_declined")
    with translation.override("nb"):
        assert rule_label("norway_agreement_error").startswith("Norge:")


def test_channel_labels_are_translated_at_runtime():
    """Routing-specific (not in tests/test_translations.py): the compiled catalogue is used."""
    with translation.override("sv"):
        assert str(Channel.EMAIL.label) == "E-post"
    with translation.override("nb"):
        assert str(Channel.PRINT.label) == "Utskrift"
