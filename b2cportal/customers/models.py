"""Customers (AR303000): the master data every invoice and agreement reads."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from b2cportal.companies.models import Company
from b2cportal.db import TrigramIndex


class CustomerKind(models.TextChoices):
    CONSUMER = "consumer", _("Consumer")
    BUSINESS = "business", _("Business")


class DeliveryMethod(models.TextChoices):
    AUTOINVOICE = "autoinvoice", _("Send to AutoInvoice")
    # "E-post" in Swedish: Django's own catalogs translate a bare "Email" as "E-postadress".
    EMAIL = "email", pgettext_lazy("delivery method", "Email")
    PRINT = "print", pgettext_lazy("delivery method", "Print")


class CustomerLanguage(models.TextChoices):
    NORWEGIAN = "nb", _("Norwegian Bokmål")
    SWEDISH = "sv", _("Swedish")
    ENGLISH = "en", _("English")


class Customer(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="customers", verbose_name=_("company")
    )
    number = models.CharField(_("customer no."), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("customer type"),
        max_length=10,
        choices=CustomerKind.choices,
        default=CustomerKind.CONSUMER,
    )
    # Canonical forms: Swedish personnummer/samordningsnummer as 12 digits (YYYYMMDDNNNN),
    # Norwegian fødselsnummer/D-number as 11 digits.
    national_id = models.CharField(_("national identity number"), max_length=12, blank=True)
    organisation_number = models.CharField(_("organisation number"), max_length=12, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)
    address_line1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="NO")
    email = models.EmailField(_("invoice contact email"), blank=True)
    # E.164 (+4791234567); which one is the mobile is a ledger preference.
    phone_1 = models.CharField(_("phone 1"), max_length=20, blank=True)
    phone_2 = models.CharField(_("phone 2"), max_length=20, blank=True)
    language = models.CharField(
        _("document language"),
        max_length=2,
        choices=CustomerLanguage.choices,
        default=CustomerLanguage.NORWEGIAN,
    )
    delivery_method = models.CharField(
        _("delivery method"),
        max_length=12,
        choices=DeliveryMethod.choices,
        default=DeliveryMethod.AUTOINVOICE,
    )
    einvoice_norway = models.BooleanField(
        _("send invoice to AutoInvoice as e-Invoice (Norway)"), default=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["company", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"], name="customer_number_unique_per_company"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "national_id"], name="customer_national_id_idx"),
            models.Index(fields=["company", "name"], name="customer_name_idx"),
            models.Index(fields=["company", "email"], name="customer_email_idx"),
            # Exact-match search by organisation number and phone (the list's search box).
            models.Index(fields=["company", "organisation_number"], name="customer_orgnr_idx"),
            models.Index(fields=["company", "phone_1"], name="customer_phone_1_idx"),
            models.Index(fields=["company", "phone_2"], name="customer_phone_2_idx"),
            # Substring search by number, name and email (PostgreSQL trigrams).
            TrigramIndex("number", name="customer_number_trgm"),
            TrigramIndex("name", name="customer_name_trgm"),
            TrigramIndex("email", name="customer_email_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("customers:detail", args=[self.pk])

    @property
    def is_consumer(self) -> bool:
        return self.kind == CustomerKind.CONSUMER

    def mobile_number(self, field: str) -> str:
        """The phone field the ledger preferences name as the mobile number."""
        return getattr(self, field, "") or ""
