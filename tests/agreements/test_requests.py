"""Agreement requests (Norway): routing SMS vs email, branch scope, no spam, exactly once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from agreements import services
from agreements.models import AgreementRequest, AgreementStatus, ConsumerAgreement
from agreements.services.requests import OUTCOME_UNKNOWN, SEND_FAILED
from simulator.models import OutboundMessage
from tests.factories import make_customer

from .conftest import make_agreement, set_prefs

pytestmark = pytest.mark.django_db


def test_sms_when_the_preferred_phone_field_holds_a_mobile(
    customer_no, main_branch, accountant_no, run_on_commit
):
    requests = run_on_commit(
        services.request_agreements_for_customer,
        customer=customer_no,
        acting_user=accountant_no,
        current_branch=main_branch,
    )
    assert len(requests) == 1
    request = AgreementRequest.objects.get()
    assert request.channel == "sms"
    assert request.recipient == "+4791234567"
    assert request.status == "sent"
    assert request.link.startswith("http")
    assert "/simulator/consumers/bank/" in request.link
    assert request.link in request.text
    message = OutboundMessage.objects.get()
    assert (message.channel, message.recipient) == ("sms", "+4791234567")
    assert message.link == request.link
    agreement = ConsumerAgreement.objects.get()
    assert agreement.status == AgreementStatus.REQUEST_SENT
    assert agreement.source == "request_sms"
    assert agreement.reference == "10001"
    assert [(e.from_status, e.to_status) for e in agreement.events.all()] == [
        ("", "NEW"),
        ("NEW", "REQUEST_SENT"),
    ]
    assert agreement.events.last().actor == accountant_no
    assert mail.outbox == []


def test_email_when_the_preferred_phone_field_is_empty(
    company_no, customer_no, main_branch, accountant_no, run_on_commit
):
    # The mobile is in phone 2, but the company says phone 1 is the mobile field.
    set_prefs(company_no, mobile_phone_field="phone_1")
    run_on_commit(
        services.request_agreements_for_customer,
        customer=customer_no,
        acting_user=accountant_no,
        current_branch=main_branch,
    )
    request = AgreementRequest.objects.get()
    assert (request.channel, request.recipient) == ("email", "kari@example.no")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kari@example.no"]
    assert request.link in mail.outbox[0].body
    assert "Fjordtech AS" in mail.outbox[0].subject
    assert OutboundMessage.objects.get().channel == "email"
    assert ConsumerAgreement.objects.get().source == "request_email"


def test_no_contact_is_refused_clearly(company_no, main_branch, accountant_no):
    customer = make_customer(company=company_no, einvoice_norway=True)
    with pytest.raises(services.AgreementError, match="neither a mobile number nor an email"):
        services.request_agreements_for_customer(
            customer=customer, acting_user=accountant_no, current_branch=main_branch
        )
    assert not ConsumerAgreement.objects.exists()


def test_every_active_branch_by_default(
    customer_no, main_branch, second_branch, accountant_no, run_on_commit
):
    run_on_commit(
        services.request_agreements_for_customer,
        customer=customer_no,
        acting_user=accountant_no,
        current_branch=main_branch,
    )
    branches = set(ConsumerAgreement.objects.values_list("branch__branch_id", flat=True))
    assert branches == {"MAIN", "BERGEN"}
    assert OutboundMessage.objects.count() == 2


def test_current_branch_only_preference(
    company_no, customer_no, main_branch, second_branch, accountant_no, run_on_commit
):
    set_prefs(company_no, send_agreement_current_branch_only=True)
    run_on_commit(
        services.request_agreements_for_customer,
        customer=customer_no,
        acting_user=accountant_no,
        current_branch=second_branch,
    )
    assert list(ConsumerAgreement.objects.values_list("branch__branch_id", flat=True)) == ["BERGEN"]


def test_branches_without_active_service_are_skipped(
    company_no, customer_no, main_branch, second_branch, accountant_no, run_on_commit
):
    second_branch.b2cno.status = "activating"
    second_branch.b2cno.save()
    run_on_commit(
        services.request_agreements_for_customer,
        customer=customer_no,
        acting_user=accountant_no,
        current_branch=second_branch,
    )
    assert list(ConsumerAgreement.objects.values_list("branch__branch_id", flat=True)) == ["MAIN"]
    set_prefs(company_no, send_agreement_current_branch_only=True)
    with pytest.raises(services.AgreementError, match="current branch has no active"):
        services.request_agreements_for_customer(
            customer=customer_no, acting_user=accountant_no, current_branch=second_branch
        )


def test_no_service_at_all_is_refused(company_no, accountant_no):
    customer = make_customer(company=company_no, email="a@example.no", einvoice_norway=True)
    with pytest.raises(services.AgreementError, match="active B2C service"):
        services.request_agreements_for_customer(
            customer=customer, acting_user=accountant_no, current_branch=None
        )


def test_repeated_saves_do_not_spam(customer_no, main_branch, accountant_no, run_on_commit):
    for _ in range(3):
        run_on_commit(
            services.handle_customer_saved,
            customer=customer_no,
            acting_user=accountant_no,
            current_branch=main_branch,
        )
    assert AgreementRequest.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
    # After the quiet period a save asks again.
    AgreementRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    run_on_commit(
        services.handle_customer_saved,
        customer=customer_no,
        acting_user=accountant_no,
        current_branch=main_branch,
    )
    assert AgreementRequest.objects.count() == 2


def test_save_without_the_option_sends_nothing(company_no, main_branch, accountant_no):
    customer = make_customer(company=company_no, phone_2="+4791234567")
    assert (
        services.handle_customer_saved(
            customer=customer, acting_user=accountant_no, current_branch=main_branch
        )
        == []
    )
    assert not ConsumerAgreement.objects.exists()


def test_save_of_customer_with_active_agreement_sends_nothing(
    customer_no, main_branch, accountant_no, run_on_commit
):
    make_agreement(customer=customer_no, branch=main_branch, status="ACTIVE")
    run_on_commit(
        services.handle_customer_saved,
        customer=customer_no,
        acting_user=accountant_no,
        current_branch=main_branch,
    )
    assert not AgreementRequest.objects.exists()


def test_support_can_resend_explicitly(customer_no, main_branch, support_no, run_on_commit):
    run_on_commit(
        services.request_agreements_for_customer,
        customer=customer_no,
        acting_user=support_no,
        current_branch=main_branch,
    )
    agreement = ConsumerAgreement.objects.get()
    run_on_commit(services.resend_agreement_request, agreement=agreement, acting_user=support_no)
    assert AgreementRequest.objects.filter(status="sent").count() == 2
    assert OutboundMessage.objects.count() == 2
    agreement.refresh_from_db()
    assert agreement.status == "REQUEST_SENT"
    assert [e.to_status for e in agreement.events.all()] == ["NEW", "REQUEST_SENT", "REQUEST_SENT"]


def test_resend_of_active_agreement_is_refused(customer_no, main_branch, support_no):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="ACTIVE")
    with pytest.raises(services.AgreementError, match="already accepted"):
        services.resend_agreement_request(agreement=agreement, acting_user=support_no)


def test_delivering_twice_sends_once(customer_no, main_branch, accountant_no):
    # Without running on_commit the request stays queued; deliver it twice by hand.
    [request] = services.request_agreements_for_customer(
        customer=customer_no, acting_user=accountant_no, current_branch=main_branch
    )
    assert request.status == "queued"
    services.deliver_agreement_request(request_id=request.pk)
    services.deliver_agreement_request(request_id=request.pk)
    assert OutboundMessage.objects.count() == 1
    assert ConsumerAgreement.objects.get().events.filter(to_status="REQUEST_SENT").count() == 1


def test_network_failure_marks_request_failed_and_agreement_error(
    customer_no, main_branch, accountant_no, settings
):
    settings.SMS_BACKEND = "tests.agreements.test_requests.BrokenSms"
    [request] = services.request_agreements_for_customer(
        customer=customer_no, acting_user=accountant_no, current_branch=main_branch
    )
    services.deliver_agreement_request(request_id=request.pk)
    request.refresh_from_db()
    assert request.status == "failed"
    # A translatable message id is stored; the network's own reason stays in the event.
    assert request.error == SEND_FAILED
    agreement = ConsumerAgreement.objects.get()
    assert agreement.status == "ERROR"
    detail = agreement.events.last().detail
    assert detail["error"] == SEND_FAILED
    assert detail["network_error"] == "gateway down"


class BrokenSms:
    def send(self, **kwargs):
        from b2cportal.network.adapter import NetworkError

        raise NetworkError("gateway down")


def test_console_and_file_sms_backends(
    customer_no, main_branch, accountant_no, settings, tmp_path, capsys, run_on_commit
):
    settings.SMS_BACKEND = "agreements.sms.ConsoleSmsBackend"
    run_on_commit(
        services.request_agreements_for_customer,
        customer=customer_no,
        acting_user=accountant_no,
        current_branch=main_branch,
    )
    assert "SMS to +4791234567" in capsys.readouterr().out
    assert not OutboundMessage.objects.exists()
    settings.SMS_BACKEND = "agreements.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = tmp_path
    agreement = ConsumerAgreement.objects.get()
    run_on_commit(services.resend_agreement_request, agreement=agreement, acting_user=accountant_no)
    [log] = list(tmp_path.iterdir())
    assert "+4791234567" in log.read_text()


def test_swedish_customer_gets_no_request(customer_se, admin_se):
    with pytest.raises(services.AgreementError, match="Norwegian"):
        services.request_agreements_for_customer(
            customer=customer_se, acting_user=admin_se, current_branch=None
        )


def test_sweeper_requeues_lost_and_fails_stuck_requests(customer_no, main_branch, accountant_no):
    from agreements import tasks

    [lost] = services.request_agreements_for_customer(
        customer=customer_no, acting_user=accountant_no, current_branch=main_branch
    )
    # A fresh queued request is left alone (its task may still be on the way).
    assert tasks.sweep_agreement_requests() == 0
    AgreementRequest.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(minutes=6)
    )
    assert tasks.sweep_agreement_requests() == 1
    lost.refresh_from_db()
    assert lost.status == "sent"
    assert OutboundMessage.objects.count() == 1
    # A request stuck in SENDING has an unknown outcome: failed, never sent again.
    stuck = AgreementRequest.objects.create(
        agreement=lost.agreement, channel="sms", recipient="+4791234567", status="sending"
    )
    AgreementRequest.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - timedelta(minutes=16)
    )
    assert tasks.sweep_agreement_requests() == 1
    stuck.refresh_from_db()
    assert stuck.status == "failed"
    assert stuck.error == OUTCOME_UNKNOWN
    assert OutboundMessage.objects.count() == 1
    agreement = ConsumerAgreement.objects.get()
    assert agreement.status == "ERROR"
    assert tasks.sweep_agreement_requests() == 0


def test_request_sweeper_is_scheduled(settings):
    tasks_scheduled = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "agreements.tasks.sweep_agreement_requests" in tasks_scheduled
