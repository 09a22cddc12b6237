"""Ja takk til alle: matching rules in the directory, blocks, events say what matched."""

import pytest

from agreements import services, tasks
from agreements.models import ConsumerAgreement
from b2cportal.network.adapter import get_network
from simulator.models import EFakturaReceiver
from tests.factories import make_customer

from .conftest import make_agreement

pytestmark = pytest.mark.django_db
ISSUER = "923609016"


def receiver(**overrides):
    data = {
        "national_id": "",
        "name": "Kari Nordmann",
        "mobile": "",
        "email": "",
        "postcode": "0155",
        "always_efaktura": True,
        "blocked_issuers": [],
    }
    data.update(overrides)
    return EFakturaReceiver.objects.create(**data)


def lookup(**kwargs):
    return get_network().find_efaktura_receiver(issuer_organisation_number=ISSUER, **kwargs)


def test_match_by_national_id():
    receiver(national_id="15108695088", name="Someone Else", postcode="9999")
    found = lookup(national_id="15108695088", name="Kari", postcode="0155")
    assert found.matched_on == ("national_id",)
    assert found.blocked is False


def test_match_by_mobile_plus_name_and_postcode():
    receiver(mobile="+4791234567")
    found = lookup(mobile="+4791234567", name="  kari  NORDMANN ", postcode="0155")
    assert found.matched_on == ("mobile", "name", "postcode")


def test_match_by_email_plus_name_and_postcode():
    receiver(email="Kari@Example.no")
    found = lookup(email="kari@example.no", name="Kari Nordmann", postcode="0155")
    assert found.matched_on == ("email", "name", "postcode")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mobile": "+4791234567", "name": "Kari Nordmann", "postcode": "5003"},  # wrong postcode
        {"mobile": "+4791234567", "name": "Ola Nordmann", "postcode": "0155"},  # wrong name
        {"mobile": "+4799999999", "name": "Kari Nordmann", "postcode": "0155"},  # wrong mobile
        {"mobile": "+4791234567", "name": "Kari Nordmann", "postcode": ""},  # no address
        {"national_id": "01010112345"},  # other national ID
    ],
)
def test_partial_matches_are_not_matches(kwargs):
    receiver(mobile="+4791234567", national_id="15108695088")
    assert lookup(**kwargs) is None


def test_consumer_without_jtta_consent_is_not_a_match():
    receiver(national_id="15108695088", always_efaktura=False)
    assert lookup(national_id="15108695088") is None


def test_check_now_match_makes_active_with_source_jtta(customer_no, main_branch, accountant_no):
    receiver(national_id="15108695088")
    events = services.check_efaktura_directory(customer=customer_no, acting_user=accountant_no)
    assert len(events) == 1
    agreement = ConsumerAgreement.objects.get()
    assert (agreement.status, agreement.source) == ("ACTIVE", "jtta")
    event = agreement.events.last()
    assert (event.from_status, event.to_status, event.source) == ("NEW", "ACTIVE", "jtta")
    assert event.detail == {"matched_on": ["national_id"], "blocked": False}
    assert event.actor == accountant_no
    # Checking again changes nothing and writes nothing.
    assert services.check_efaktura_directory(customer=customer_no, acting_user=None) == []


def test_existing_request_becomes_active_via_jtta(customer_no, main_branch):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    receiver(mobile="+4791234567")
    services.check_efaktura_directory(customer=customer_no, acting_user=None)
    agreement.refresh_from_db()
    assert (agreement.status, agreement.source) == ("ACTIVE", "jtta")
    assert agreement.events.last().detail["matched_on"] == ["mobile", "name", "postcode"]


def test_block_of_this_issuer_rejects(customer_no, main_branch):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="ACTIVE")
    receiver(national_id="15108695088", blocked_issuers=[ISSUER])
    services.check_efaktura_directory(customer=customer_no, acting_user=None)
    agreement.refresh_from_db()
    assert agreement.status == "REJECTED"
    assert agreement.events.last().detail == {"matched_on": ["national_id"], "blocked": True}


def test_block_of_another_issuer_does_not_matter(customer_no, main_branch):
    receiver(national_id="15108695088", blocked_issuers=["974760673"])
    services.check_efaktura_directory(customer=customer_no, acting_user=None)
    assert ConsumerAgreement.objects.get().status == "ACTIVE"


def test_no_match_changes_nothing(customer_no, main_branch):
    assert services.check_efaktura_directory(customer=customer_no, acting_user=None) == []
    assert not ConsumerAgreement.objects.exists()


def test_every_active_branch_gets_the_jtta_agreement(customer_no, main_branch, second_branch):
    receiver(national_id="15108695088")
    services.check_efaktura_directory(customer=customer_no, acting_user=None)
    assert ConsumerAgreement.objects.filter(status="ACTIVE").count() == 2


def test_weekly_task_checks_only_customers_lacking_an_active_agreement(
    company_no, customer_no, main_branch
):
    done = make_customer(company=company_no, einvoice_norway=True, national_id="01010150080")
    make_agreement(customer=done, branch=main_branch, status="ACTIVE")
    make_customer(company=company_no, einvoice_norway=False, national_id="15108695088")
    receiver(national_id="15108695088")
    assert tasks.check_efaktura_directory_weekly() == 1
    assert ConsumerAgreement.objects.get(customer=customer_no).status == "ACTIVE"


def test_weekly_task_is_scheduled(settings):
    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "agreements.tasks.check_efaktura_directory_weekly" in entries


def test_due_selector_names_only_customers_lacking_an_active_agreement(
    company_no, company_se, customer_no, main_branch
):
    from agreements.selectors import customers_due_for_directory_check

    done = make_customer(company=company_no, einvoice_norway=True, national_id="01010150080")
    make_agreement(customer=done, branch=main_branch, status="ACTIVE")
    pending = make_customer(company=company_no, einvoice_norway=True)
    make_agreement(customer=pending, branch=main_branch, status="REQUEST_SENT")
    make_customer(company=company_no, einvoice_norway=False)
    make_customer(company=company_se, einvoice_norway=True)  # Swedish company: never
    assert set(customers_due_for_directory_check()) == {customer_no.pk, pending.pk}


def test_check_by_id_skips_a_customer_whose_company_lost_its_service(customer_no, main_branch):
    receiver(national_id="15108695088")
    main_branch.b2cno.status = "deactivated"
    main_branch.b2cno.save()
    assert services.check_customer_in_directory(customer_id=customer_no.pk) == []
    assert not ConsumerAgreement.objects.exists()


def test_check_by_id_lets_network_errors_through_for_the_retry(
    customer_no, main_branch, monkeypatch
):
    from agreements.services import directory
    from b2cportal.network.adapter import NetworkError

    class Down:
        def find_efaktura_receiver(self, **kwargs):
            raise NetworkError("directory down")

    monkeypatch.setattr(directory, "get_network", lambda company=None: Down())
    with pytest.raises(NetworkError):
        services.check_customer_in_directory(customer_id=customer_no.pk)
