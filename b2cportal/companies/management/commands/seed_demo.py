"""Load the demo data (idempotent), or bulk-create customers for benchmarks.

python manage.py seed_demo                       # companies, users, customers, app data
python manage.py seed_demo --customers 100000    # + N customers in the Norwegian company
python manage.py seed_demo --customers 5000 --company-country SE
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from b2cportal.companies.demo import DEMO_PASSWORD, demo_logins, seed_demo

# Customers live in a higher app; the command (an entry point, not a service) looks it up by name.
BULK_CUSTOMERS = "b2cportal.customers.demo.bulk_create_customers"


class Command(BaseCommand):
    help = "Create or refresh the demo companies, users and data; optionally bulk customers."

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=0,
            help="Also create this many more customers quickly (for benchmarks).",
        )
        parser.add_argument(
            "--company-country",
            choices=["NO", "SE"],
            default="NO",
            help="Which demo company gets the --customers (default NO).",
        )

    def handle(self, *args, customers: int, company_country: str, **options):
        context = seed_demo(stdout=self.stdout)
        if customers > 0:
            started = time.monotonic()
            with transaction.atomic():
                created = import_string(BULK_CUSTOMERS)(
                    company=context.companies[company_country], count=customers
                )
            self.stdout.write(
                f"Created {created} customers in {context.companies[company_country].name} "
                f"in {time.monotonic() - started:.1f}s"
            )
        self._print_logins()

    def _print_logins(self) -> None:
        url = settings.SITE_URL.rstrip("/") + "/"
        self.stdout.write(self.style.SUCCESS(f"\nDemo data ready. Open {url}"))
        self.stdout.write(f"Django admin: {url}admin/")
        self.stdout.write(f"Logins (password '{DEMO_PASSWORD}' for all):")
        for username, company, role in demo_logins():
            self.stdout.write(f"  {username:<15} {role:<40} {company}")
