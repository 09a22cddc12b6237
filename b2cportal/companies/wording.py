"""Each country in its own words: the operator a company's invoices go through, by name.

Norwegian companies send through AutoInvoice (AutoInvoice B2C for eFaktura); Swedish companies
through Maventa (B2CSE, InConx AB as the certified distributor). Screens ask here instead of
hard-coding "AutoInvoice", so a Swedish company never reads a Norwegian product name.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .models import Country

OPERATOR_NAMES = {Country.NORWAY: "AutoInvoice", Country.SWEDEN: "Maventa"}

SEND_TO_OPERATOR = {Country.NORWAY: _("Send to AutoInvoice"), Country.SWEDEN: _("Send to Maventa")}
SENT_TO_OPERATOR = {Country.NORWAY: _("Sent to AutoInvoice"), Country.SWEDEN: _("Sent to Maventa")}
OPERATOR_SETTINGS = {
    Country.NORWAY: _("AutoInvoice settings"),
    Country.SWEDEN: _("Maventa settings"),
}
SEND_SEVERAL = {
    Country.NORWAY: _("Send several invoices or credit notes to AutoInvoice"),
    Country.SWEDEN: _("Send several invoices or credit notes to Maventa"),
}


def _country(company_or_country) -> Country:
    country = getattr(company_or_country, "country", company_or_country)
    return Country(country) if country in OPERATOR_NAMES else Country.NORWAY


def operator_name(company_or_country) -> str:
    """ "AutoInvoice" for Norway, "Maventa" for Sweden (a proper name, never translated)."""
    return OPERATOR_NAMES[_country(company_or_country)]


def send_to_operator(company_or_country):
    return SEND_TO_OPERATOR[_country(company_or_country)]


def sent_to_operator(company_or_country):
    return SENT_TO_OPERATOR[_country(company_or_country)]


def operator_settings(company_or_country):
    return OPERATOR_SETTINGS[_country(company_or_country)]


def send_several(company_or_country):
    return SEND_SEVERAL[_country(company_or_country)]


def wording(company) -> dict:
    """The template context every screen gets (see the tenancy context processor)."""
    return {
        "operator_name": operator_name(company),
        "send_to_operator": send_to_operator(company),
        "sent_to_operator": sent_to_operator(company),
        "operator_settings_label": operator_settings(company),
        "send_several_label": send_several(company),
        "is_norwegian_company": company is None or _country(company) == Country.NORWAY,
        "is_swedish_company": company is not None and _country(company) == Country.SWEDEN,
    }
