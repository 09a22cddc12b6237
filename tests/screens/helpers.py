"""Shared pieces of the whole-product screen tests: demo data, the screens, English leftovers."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import polib
from django.db import transaction

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

# Text that is the same in every language: names of products, networks and places.
PROPER_NAMES = {
    "AutoInvoice",
    "Maventa",
    "Peppol",
    "Billo",
    "Kivra",
    "eFaktura",
    "B2CSE",
    "FMI",
    "FUI",
    "KID",
    "OCR",
    "XML",
    "PDF",
    "CSV",
    "UBL",
    "JTTA",
    "InExchange",
    "b2cportal",
}
# Attributes people read (placeholders, tooltips, screen-reader labels).
READ_ATTRIBUTES = ("placeholder", "title", "aria-label")

COLLECT_TEXT = """
(attrs) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style, code, pre, [data-untranslated-ok]")) continue;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    if (text) out.push(text);
  }
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("[data-untranslated-ok]")) continue;
    for (const a of attrs) {
      const v = el.getAttribute(a);
      if (v && v.trim()) out.push(v.replace(/\\s+/g, " ").trim());
    }
  }
  return out;
}
"""


@cache
def english_sources(language: str) -> tuple[frozenset[str], tuple[re.Pattern, ...]]:
    """English msgids that have a different translation in `language`: seen on a page in that
    language, they are an untranslated leftover. Plain strings, and patterns for msgids with
    placeholders (at least four letters of literal text, to stay meaningful)."""
    plain: set[str] = set()
    patterns: list[re.Pattern] = []
    for path in ROOT.glob(f"**/locale/{language}/LC_MESSAGES/django.po"):
        if ".venv" in path.parts:
            continue
        for entry in polib.pofile(str(path)):
            if entry.obsolete or entry.msgid_plural or not entry.msgstr:
                continue
            source = entry.msgid.strip()
            if entry.msgstr.strip() == source or source in PROPER_NAMES or len(source) < 3:
                continue
            if "%(" in source or "{{" in source:
                literal = re.sub(r"%\(\w+\)[sd]|\{\{ *\w+ *\}\}", " ", source)
                if len(re.findall(r"[^\W\d_]", literal)) < 4:
                    continue
                regex = re.escape(source)
                regex = re.sub(r"%\\\(\w+\\\)[sd]", ".+?", regex)
                regex = re.sub(r"\\\{\\\{\\ \*?\w+\\ \*?\\\}\\\}", ".+?", regex)
                patterns.append(re.compile("^" + regex + "$"))
            else:
                plain.add(source)
                plain.add(source.rstrip(".:"))
    return frozenset(plain), tuple(patterns)


def english_leftovers(page, language: str) -> list[str]:
    """Visible texts on the page that are still the English source of a translated string."""
    plain, patterns = english_sources(language)
    found = []
    for text in page.evaluate(COLLECT_TEXT, list(READ_ATTRIBUTES)):
        candidate = text.strip(" ·:*")
        if candidate in PROPER_NAMES:
            continue
        if candidate in plain or any(p.match(candidate) for p in patterns):
            found.append(text)
    return sorted(set(found))


def seed_demo_with_deliveries():
    """The demo data, plus sent invoices (the eager test broker delivers them at once)."""
    from django.contrib.auth import get_user_model

    from b2cportal.companies.demo import seed_demo
    from invoices.models import Invoice, InvoiceStatus
    from routing.services import send_invoice

    context = seed_demo()
    admin = get_user_model().objects.get(username="admin")
    for company in context.companies.values():
        open_invoices = Invoice.objects.filter(company=company, status=InvoiceStatus.OPEN)
        for invoice in open_invoices.order_by("pk")[:3]:
            with transaction.atomic():
                send_invoice(invoice=invoice, acting_user=admin)
    return context


def screen_paths(company) -> dict[str, str]:
    """Every screen of the product a company user works in, by a short name."""
    from agreements.models import ConsumerAgreement
    from invoices.models import Invoice

    customer = company.customers.order_by("number").first()
    invoices = Invoice.objects.filter(company=company)
    sent = invoices.filter(deliveries__isnull=False).order_by("pk").first()
    unsent = invoices.filter(deliveries__isnull=True, status="open").order_by("pk").first()
    agreement = ConsumerAgreement.objects.filter(branch__company=company).first()
    paths = {
        "home": "/",
        "customers": "/customers/",
        "customer": f"/customers/{customer.pk}/",
        "customer-edit": f"/customers/{customer.pk}/edit/",
        "customer-new": "/customers/new/",
        "invoices": "/invoices/",
        "invoice-sent": f"/invoices/{sent.pk}/",
        "invoice-new": "/invoices/new/",
        "send-several": "/routing/send/",
        "billing": "/routing/billing/",
        "agreements": "/agreements/",
        "settings": "/settings/",
        "ledger": "/settings/ledger/",
        "branches": "/settings/branches/",
        "company": "/settings/company/",
    }
    if unsent is not None:
        paths["invoice-unsent"] = f"/invoices/{unsent.pk}/"
    if agreement is not None:
        paths["customer-agreements"] = f"/agreements/customer/{agreement.customer_id}/"
    if company.country == "SE":
        paths["b2cse"] = "/settings/b2cse/"
    return paths


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
