"""API keys (per company, scoped, hashed at rest) and stored answers to idempotent POSTs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from b2cportal.companies.models import Company


class Scope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Write")
    SEND = "send", _("Send")


class ApiKey(models.Model):
    """A machine credential of one company. Only the prefix and a hash of the key are stored.

    The full key (`<prefix>.<secret>`) is shown once, when it is created. Requests made with it
    act as the company, with the administrator who created it as the acting user.
    """

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("company")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=200, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    # The acting user of every request made with the key; a key whose creator is gone (deleted,
    # deactivated or no longer a member) stops working.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def scope_labels(self) -> list[str]:
        return [str(Scope(s).label) for s in Scope.values if s in self.scopes]


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an `Idempotency-Key`, replayed for the same key and body.

    One row per company and key (a unique constraint), written before the work starts, so two
    concurrent requests with one key can never both do it.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # sha256 over method, path and (canonical JSON) body: the same key with another body is 409.
    fingerprint = models.CharField(max_length=64)
    api_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, related_name="+")
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "key"], name="api_idempotency_key_unique_per_company"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id}:{self.key}"
