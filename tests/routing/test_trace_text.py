"""The route trace is stored as data and written as sentences when shown, per language."""

from __future__ import annotations

import pytest
from django.utils import translation

from routing.decision import RouteInputs, decide
from routing.trace_text import step_sentence

STEP = {
    "rule": "norway_agreement",
    "inputs": {"agreement_status": "REQUEST_SENT"},
    "outcome": "failed",
}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "The customer has an active eFaktura agreement: no (agreement status: Request sent)",
        ),
        ("nb", "Kunden har en aktiv eFaktura-avtale: nei (avtalestatus: Forespørsel sendt)"),
        ("sv", "Kunden har ett aktivt eFaktura-avtal: nej (avtalsstatus: Förfrågan skickad)"),
    ],
)
def test_a_step_reads_as_a_sentence_in_each_language(language, expected):
    with translation.override(language):
        assert step_sentence(STEP) == expected


def test_every_step_of_real_decisions_is_a_sentence_without_codes():
    inputs = [
        RouteInputs(country="NO", einvoice_norway=True, b2cno_active=True, email="a@b.no"),
        RouteInputs(country="NO", delivery_method="print", has_postal_address=True),
        RouteInputs(country="SE", has_national_id=True, b2cse_active=True, days_until_due=1),
        RouteInputs(
            country="SE",
            has_national_id=True,
            b2cse_active=True,
            days_until_due=9,
            kivra_account=True,
        ),
    ]
    for route in inputs:
        for step in decide(route).trace_json():
            with translation.override("sv"):
                sentence = step_sentence(step, company_country=route.country)
            assert "=" not in sentence
            assert "_" not in sentence, sentence
            assert step["rule"] not in sentence


def test_the_operator_is_named_per_country_and_failures_are_worded():
    step = {
        "rule": "delivery_method",
        "inputs": {"delivery_method": "autoinvoice"},
        "outcome": "passed",
    }
    with translation.override("sv"):
        assert step_sentence(step, company_country="SE").endswith("Skicka till Maventa")
        assert step_sentence(step, company_country="NO").endswith("Skicka till AutoInvoice")
        failed = {"rule": "transport_failed", "inputs": {"channel": "kivra"}, "outcome": "failed"}
        assert step_sentence(failed) == "Leverans via Kivra misslyckades: ingen orsak angiven"
