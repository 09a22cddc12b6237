"""The Celery application: configured from Django settings, tasks found in every app."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b2cportal.settings")

app = Celery("b2cportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _compile_validation_rules(**_kwargs) -> None:
    """Compile the UBL schemas and the CEN + Peppol rules once per worker process, at start,
    so no task pays the seconds it takes (each forked pool process has its own Saxon)."""
    from invoices.validation import warm_up

    warm_up()
