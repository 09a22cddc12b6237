"""Realistic POST bodies per URL name: what the screen's own form would submit.

Role and tenancy walks post these, so a view that processed its form before checking the role
or the company would be caught writing, not saved by an invalid empty body.
"""

from __future__ import annotations

from b2cportal.companies.models import Company


def _customer(company: Company, **overrides) -> dict:
    norwegian = company.country == "NO"
    data = {
        "number": "77001",
        "name": "Posted Customer",
        "kind": "consumer",
        "national_id": "",
        "organisation_number": "",
        "vat_number": "",
        "address_line1": "Storgata 1" if norwegian else "Storgatan 1",
        "address_line2": "",
        "postcode": "0155" if norwegian else "11122",
        "city": "Oslo" if norwegian else "Stockholm",
        "country": company.country,
        "is_active": "on",
        "email": "posted@example.com",
        "phone_1": "",
        "phone_2": "",
        "language": "nb" if norwegian else "sv",
        "delivery_method": "autoinvoice",
    }
    data.update(overrides)
    return data


def _invoice(company: Company) -> dict:
    from b2cportal.customers.models import Customer

    customer = Customer.objects.filter(company=company).first()
    return {
        "customer": customer.number if customer else "1",
        "issue_date": "2026-11-02",
        "due_date": "2026-11-30",
        "buyer_reference": "",
        "note": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "500",
        "lines-0-description": "Posted line",
        "lines-0-quantity": "1",
        "lines-0-unit": "EA",
        "lines-0-unit_price": "100.00",
        "lines-0-vat_category": "S",
        "lines-0-vat_rate": "25.00",
        "lines-0-exemption_reason": "",
    }


def _credit(company: Company, kwargs: dict) -> dict:
    from invoices.models import Invoice

    invoice = Invoice.objects.get(pk=kwargs["pk"])
    return {f"qty_{line.pk}": str(line.quantity) for line in invoice.lines.all()}


def _bulk(company: Company) -> dict:
    from invoices.models import Invoice

    ids = Invoice.objects.filter(company=company).values_list("pk", flat=True)
    return {"scope": "all", "invoice": [str(pk) for pk in ids]}


BODIES = {
    "customers:create": lambda company, kwargs: _customer(company),
    "customers:edit": lambda company, kwargs: _customer(company, name="Renamed By Post"),
    "invoices:create": lambda company, kwargs: _invoice(company),
    "invoices:edit": lambda company, kwargs: _invoice(company),
    "invoices:credit": _credit,
    "companies:autoinvoice": lambda company, kwargs: {
        "contact_person": "Posted Person",
        "contact_email": "posted@example.com",
        "consumer_einvoice_service": "none",
        "endpoint": "test",
        "invoice_import_scenario": "draft",
        "imported_invoice_vat_setting": "from_supplier",
        "invoice_inbox_vat_setting": "none",
        "fallback_order": "print_only",
    },
    "companies:ledger": lambda company, kwargs: {
        "consumer_route_anyway": "on",
        "mobile_phone_field": "phone_1",
        "kid_algorithm": "mod11",
        "kid_length": "10",
        "kid_customer_number_start": "2",
        "kid_customer_number_end": "7",
    },
    "companies:branch_altinn": lambda company, kwargs: {
        "rf1301_contact_name": "Posted Contact",
        "rf1301_contact_phone": "",
        "rf1301_contact_email": "posted@example.com",
    },
    "companies:b2cno_activate": lambda company, kwargs: {
        "signer_name": "Posted Signer",
        "signer_email": "posted@example.com",
    },
    "companies:b2cse": lambda company, kwargs: {
        "account_type": "bankgiro",
        "account_number": "5050-1055",
    },
    "companies:b2cse_add_account": lambda company, kwargs: {
        "account_type": "bankgiro",
        "account_number": "5050-1055",
    },
    "routing:bulk": lambda company, kwargs: _bulk(company),
    "routing:reroute": lambda company, kwargs: {"route": "email", "status": "failed"},
}


def realistic_post(name: str, company: Company, kwargs: dict) -> dict:
    builder = BODIES.get(name)
    return builder(company, kwargs) if builder else {"confirm": "1"}
