"""Every write to customers. Services own their transaction and raise `CustomerError`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from b2cportal import identifiers
from b2cportal.audit import services as audit
from b2cportal.audit.models import AuditAction
from b2cportal.companies.models import Company, Country
from b2cportal.companies.selectors import ledger_preferences_of

from .models import Customer, CustomerKind

# Everything a user may set on a customer; `company`, audit fields and ids are not in it.
EDITABLE_FIELDS = (
    "number",
    "name",
    "kind",
    "national_id",
    "organisation_number",
    "vat_number",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "country",
    "email",
    "phone_1",
    "phone_2",
    "language",
    "delivery_method",
    "einvoice_norway",
    "is_active",
)


CREATE_EINVOICE_REFUSAL = gettext_lazy(
    "Save the customer first; then the e-invoice option (Norway) can be switched on."
)


class CustomerError(Exception):
    """A customer write was refused; `field` names the form field the reason belongs to."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def mobile_phone_field_for(*, company: Company) -> str:
    """Which phone field holds the mobile number (ledger preferences, else the model default)."""
    return ledger_preferences_of(company=company).mobile_phone_field


def einvoice_norway_refusal(*, customer: Customer, mobile_field: str) -> str | None:
    """Why the customer cannot get *Send invoice to AutoInvoice as e-Invoice (Norway)*, or None.

    The bank service only serves Norwegian consumers and needs a Norwegian address plus an email
    or a mobile number, because the agreement request goes out by SMS, otherwise by email.
    """
    reasons = []
    if customer.country != Country.NORWAY:
        reasons.append(_("The customer's country must be Norway."))
    if not (customer.postcode and customer.city):
        reasons.append(_("Enter the postcode and city."))
    mobile = customer.mobile_number(mobile_field)
    has_mobile = bool(mobile) and identifiers.is_mobile_number(mobile)
    if not customer.email and not has_mobile:
        label = cast("models.Field[Any, Any]", Customer._meta.get_field(mobile_field)).verbose_name
        reasons.append(
            _("Enter an invoice contact email or a mobile number in “%(field)s”.")
            % {"field": label}
        )
    if not reasons:
        return None
    return " ".join([_("E-invoice (Norway) cannot be switched on:"), *reasons])


def _canonicalise(customer: Customer) -> None:
    """Store identifiers, postcodes and phones in one canonical form whoever calls us."""
    country = customer.country

    def clean(field: str, cleaner: Callable[[str], str]) -> None:
        value = (getattr(customer, field) or "").strip()
        if not value:
            setattr(customer, field, "")
            return
        try:
            setattr(customer, field, cleaner(value))
        except ValidationError as exc:
            raise CustomerError(" ".join(exc.messages), field=field) from exc

    if country not in Country.values:
        raise CustomerError(_("Customers must be in Norway or Sweden."), field="country")
    clean("national_id", lambda v: identifiers.clean_national_id(v, country))
    clean("organisation_number", lambda v: identifiers.clean_organisation_number(v, country))
    clean("postcode", lambda v: identifiers.clean_postcode(v, country))
    clean("phone_1", lambda v: identifiers.clean_phone_number(v, country))
    clean("phone_2", lambda v: identifiers.clean_phone_number(v, country))
    # The buyer's VAT number is written into every UBL document: checked here, not at release.
    clean("vat_number", lambda v: identifiers.clean_vat_number(v, country))


def _check_national_id_unique(customer: Customer) -> None:
    # Inbound agreement events and FMI matching look customers up by national identity number,
    # so two customers of one company with the same number would make them ambiguous. Another
    # company may of course have the same person. Organisation numbers are deliberately NOT
    # unique: a business may hold several customer accounts (per department or site), and
    # business invoices are not matched by organisation number.
    if not customer.national_id:
        return
    other = Customer.objects.filter(
        company_id=customer.company_id, national_id=customer.national_id
    )
    if customer.pk:
        other = other.exclude(pk=customer.pk)
    number = other.order_by("number").values_list("number", flat=True).first()
    if number is not None:
        raise CustomerError(
            _("Customer %(number)s already has this national identity number.")
            % {"number": number},
            field="national_id",
        )


def _check_rules(customer: Customer) -> None:
    if not customer.number.strip():
        raise CustomerError(_("Enter a customer number."), field="number")
    if customer.kind == CustomerKind.BUSINESS and not customer.organisation_number:
        raise CustomerError(
            _("Enter the organisation number of the business."), field="organisation_number"
        )
    duplicate = Customer.objects.filter(company_id=customer.company_id, number=customer.number)
    if customer.pk:
        duplicate = duplicate.exclude(pk=customer.pk)
    if duplicate.exists():
        raise CustomerError(
            _("Customer number %(number)s is already used in this company.")
            % {"number": customer.number},
            field="number",
        )
    _check_national_id_unique(customer)
    if customer.einvoice_norway:
        refusal = einvoice_norway_refusal(
            customer=customer, mobile_field=mobile_phone_field_for(company=customer.company)
        )
        if refusal:
            raise CustomerError(refusal, field="einvoice_norway")


def validate_customer(*, customer: Customer) -> None:
    """Canonicalise the unsaved changes on `customer` in memory and check every rule.

    For forms that must show a refusal before anything is saved (the Django admin).
    """
    _canonicalise(customer)
    _check_rules(customer)


def _save(customer: Customer) -> Customer:
    try:
        # A savepoint, so a lost race on the unique number leaves the outer transaction usable.
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:
        raise CustomerError(
            _("Customer number %(number)s is already used in this company.")
            % {"number": customer.number},
            field="number",
        ) from exc
    return customer


def _apply(customer: Customer, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise CustomerError(_("Unknown customer fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    for field, value in data.items():
        setattr(customer, field, value.strip() if isinstance(value, str) else value)


@transaction.atomic
def create_customer(*, company: Company, acting_user: User, data: Mapping[str, Any]) -> Customer:
    """Create a customer in the company; the e-invoice option waits until it has been saved."""
    if data.get("einvoice_norway"):
        raise CustomerError(str(CREATE_EINVOICE_REFUSAL), field="einvoice_norway")
    customer = Customer(company=company)
    if "country" not in data:
        customer.country = company.country
    _apply(customer, data)
    customer.updated_by = acting_user
    _canonicalise(customer)
    _check_rules(customer)
    _save(customer)
    audit.record(
        actor=acting_user,
        obj=customer,
        action=AuditAction.CUSTOMER_CREATED,
        changes=[
            audit.Change(name, None, value)
            for name, value in audit.snapshot(customer, EDITABLE_FIELDS).items()
            if value not in (None, "", False)
        ],
    )
    return customer


@transaction.atomic
def update_customer(*, customer: Customer, acting_user: User, data: Mapping[str, Any]) -> Customer:
    """Change a customer's data, re-checking every rule on the result."""
    # Lock the row so two editors cannot both pass the checks on stale data.
    locked = Customer.objects.select_for_update().select_related("company").get(pk=customer.pk)
    before = audit.snapshot(locked, EDITABLE_FIELDS)
    _apply(locked, data)
    locked.updated_by = acting_user
    _canonicalise(locked)
    _check_rules(locked)
    _save(locked)
    # Support must see who changed what, the national identity number above all (it is the key
    # inbound agreement events and FMI matching find the customer by).
    changes = audit.changes_since(before, locked)
    if changes:
        audit.record(
            actor=acting_user, obj=locked, action=AuditAction.CUSTOMER_UPDATED, changes=changes
        )
    return locked
