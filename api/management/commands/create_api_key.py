"""Create an API key from the command line (the same service as Settings → API keys)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.services import ApiKeyError, create_api_key
from b2cportal.companies.models import Company


class Command(BaseCommand):
    help = "Create an API key for a company; prints the key (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("organisation_number")
        parser.add_argument("--user", required=True, help="an administrator of the company")
        parser.add_argument("--name", default="ERP")
        parser.add_argument("--scopes", default="read,write,send", help="comma-separated")

    def handle(self, *args, organisation_number, user, name, scopes, **options):
        company = Company.objects.filter(organisation_number=organisation_number).first()
        if company is None:
            raise CommandError(f"No company with organisation number {organisation_number}.")
        acting = get_user_model().objects.filter(username=user).first()
        if acting is None:
            raise CommandError(f"No user {user}.")
        try:
            _api_key, raw = create_api_key(
                company=company,
                acting_user=acting,
                name=name,
                scopes=[s.strip() for s in scopes.split(",") if s.strip()],
            )
        except ApiKeyError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(raw)
