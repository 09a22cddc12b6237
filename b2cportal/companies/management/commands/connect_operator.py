"""Scripted set-up of a company's operator connection (the API key from the environment)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from b2cportal.companies import services
from b2cportal.companies.models import Company, OperatorEnvironment


class Command(BaseCommand):
    help = (
        "Connect a company to the operator (AutoInvoice / Maventa). The user API key is read "
        "from the environment variable MAVENTA_API_KEY, never from the command line."
    )

    def add_arguments(self, parser):
        parser.add_argument("organisation_number")
        parser.add_argument("--company-uuid", required=True)
        parser.add_argument("--environment", choices=OperatorEnvironment.values, default="testing")
        parser.add_argument(
            "--test", action="store_true", help="Test the connection after saving it."
        )

    def handle(self, *args, organisation_number, company_uuid, environment, test, **options):
        api_key = settings.MAVENTA_API_KEY.strip()
        if not api_key:
            raise CommandError("Set MAVENTA_API_KEY to the company's user API key.")
        wanted = organisation_number.replace(" ", "").replace("-", "")
        companies = list(Company.objects.filter(organisation_number=wanted))
        if not companies:
            raise CommandError(f"No company with organisation number {organisation_number}.")
        if len(companies) > 1:
            raise CommandError(f"Several companies have organisation number {organisation_number}.")
        company = companies[0]
        try:
            services.save_operator_connection(
                company=company,
                acting_user=None,
                environment=environment,
                company_uuid=company_uuid,
                api_key=api_key,
            )
        except services.CompanyError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{company.name}: operator connection saved ({environment}).")
        if test:
            result = services.check_operator_connection(company=company, acting_user=None)
            if not result.ok:
                raise CommandError(result.message)
            self.stdout.write(result.message)
