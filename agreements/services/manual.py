"""Manual changes by users (an administrator marks an agreement deleted)."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import (
    AgreementStatus,
    ConsumerAgreement,
    EventSource,
)
from .core import (
    AgreementError,
    _lock_customer,
    _transition,
)


def mark_agreement_deleted(*, agreement: ConsumerAgreement, acting_user: User) -> ConsumerAgreement:
    """An administrator closes an agreement (e.g. the consumer cancelled by phone)."""
    with transaction.atomic():
        _lock_customer(agreement.customer)
        locked = ConsumerAgreement.objects.select_for_update().get(pk=agreement.pk)
        if not locked.is_live:
            raise AgreementError(_("This agreement is already closed."))
        _transition(
            locked, to_status=AgreementStatus.DELETED, source=EventSource.USER, actor=acting_user
        )
    return locked
