from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "b2cportal.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from celery.signals import task_postrun, task_prerun

        from .context import task_finished, task_started

        # Whatever a Celery task changes is recorded as done by that task.
        task_prerun.connect(task_started, dispatch_uid="audit-task-started")
        task_postrun.connect(task_finished, dispatch_uid="audit-task-finished")
