"""Django admin for the simulated network's own tables: superusers only.

These rows play the outside world (registers, banks, mailboxes, Peppol); they belong to no
tenant, so staff of a company never see them.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from .models import (
    ActivationRequest,
    ConsumerLink,
    DigitalMailboxAccount,
    EFakturaReceiver,
    FmiRegistration,
    InboxDocument,
    OutboundMessage,
    Participant,
    RegisterEntry,
)


class SuperuserOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False
    # Links we store are https; say so instead of relying on the deprecated http default.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(RegisterEntry)
class RegisterEntryAdmin(SuperuserOnlyAdmin):
    list_display = ["organisation_number", "name", "country"]
    list_filter = ["country"]
    search_fields = ["=organisation_number", "name"]


@admin.register(ActivationRequest)
class ActivationRequestAdmin(SuperuserOnlyAdmin):
    list_display = ["reference", "service", "organisation_number", "status", "submitted_at"]
    list_filter = ["service", "status"]
    search_fields = ["=organisation_number", "=reference"]
    readonly_fields = ["reference", "submitted_at"]
    date_hierarchy = "submitted_at"


@admin.register(EFakturaReceiver)
class EFakturaReceiverAdmin(SuperuserOnlyAdmin):
    list_display = ["name", "national_id", "mobile", "email", "postcode", "always_efaktura"]
    list_filter = ["always_efaktura"]
    search_fields = ["=national_id", "name", "=mobile", "email"]


@admin.register(FmiRegistration)
class FmiRegistrationAdmin(SuperuserOnlyAdmin):
    list_display = ["ssn", "bank_id", "issuer_fui", "active", "created_at"]
    list_filter = ["active", "bank_id"]
    search_fields = ["=ssn", "issuer_fui"]
    readonly_fields = ["created_at"]


@admin.register(DigitalMailboxAccount)
class DigitalMailboxAccountAdmin(SuperuserOnlyAdmin):
    list_display = ["ssn", "provider"]
    list_filter = ["provider"]
    search_fields = ["=ssn"]


@admin.register(Participant)
class ParticipantAdmin(SuperuserOnlyAdmin):
    list_display = ["identifier", "scheme", "kind", "name", "operator"]
    list_filter = ["kind", "scheme"]
    search_fields = ["=identifier", "name"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(SuperuserOnlyAdmin):
    list_display = ["created_at", "channel", "recipient", "purpose"]
    list_filter = ["channel", "purpose"]
    search_fields = ["recipient", "body"]
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"


@admin.register(InboxDocument)
class InboxDocumentAdmin(SuperuserOnlyAdmin):
    """What the simulated receivers got; read-only, it is the network's side of the story."""

    list_display = ["document_number", "kind", "recipient", "issuer_name", "repeats", "received_at"]
    list_filter = ["kind"]
    search_fields = ["=document_uuid", "=recipient", "document_number", "issuer_identifier"]
    readonly_fields = [f.name for f in InboxDocument._meta.fields if f.name != "content"]
    exclude = ["content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ConsumerLink)
class ConsumerLinkAdmin(SuperuserOnlyAdmin):
    """Links sent to consumers and when each was used; read-only (the token is a secret)."""

    list_display = ["issuer", "created_at", "used_at", "used_for"]
    list_filter = ["used_for"]
    search_fields = ["=issuer"]
    readonly_fields = ["issuer", "offer", "created_at", "used_at", "used_for"]
    exclude = ["token"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
