"""create_customer / update_customer: canonical identifiers and the business rules."""

import pytest

from b2cportal.companies.models import CustomerLedgerPreferences, MobilePhoneField
from b2cportal.customers.models import Customer, CustomerKind
from b2cportal.customers.services import CustomerError, create_customer, update_customer
from tests.factories import (
    NO_D_NUMBER,
    NO_FODSELSNUMMER,
    SE_PERSONNUMMER_12,
    SE_SAMORDNINGSNUMMER_12,
    make_customer,
)

pytestmark = pytest.mark.django_db


def _data(**overrides):
    data = {"number": "500", "name": "Kari Nordmann", "country": "NO", "kind": "consumer"}
    data.update(overrides)
    return data


def test_create_stores_canonical_identifiers(company_no, accountant_no):
    customer = create_customer(
        company=company_no,
        acting_user=accountant_no,
        data=_data(
            national_id=f" {NO_FODSELSNUMMER[:6]} {NO_FODSELSNUMMER[6:]} ",
            postcode=" 0155",
            phone_2="912 34 567",
            phone_1="22 12 34 56",
        ),
    )
    customer.refresh_from_db()
    assert customer.national_id == NO_FODSELSNUMMER
    assert customer.postcode == "0155"
    assert customer.phone_2 == "+4791234567"
    assert customer.phone_1 == "+4722123456"
    assert customer.updated_by == accountant_no
    assert customer.company == company_no


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("811218-9876", SE_PERSONNUMMER_12),
        ("19811218-9876", SE_PERSONNUMMER_12),
        ("198112189876", SE_PERSONNUMMER_12),
        ("701063-2391", SE_SAMORDNINGSNUMMER_12),
    ],
)
def test_swedish_personal_numbers_are_stored_as_twelve_digits(
    company_se, accountant_se, typed, stored
):
    customer = create_customer(
        company=company_se,
        acting_user=accountant_se,
        data=_data(country="SE", national_id=typed, postcode="111 22"),
    )
    assert customer.national_id == stored
    assert customer.postcode == "11122"


def test_norwegian_d_number_is_accepted(company_no, accountant_no):
    customer = create_customer(
        company=company_no, acting_user=accountant_no, data=_data(national_id=NO_D_NUMBER)
    )
    assert customer.national_id == NO_D_NUMBER


def test_bad_national_id_is_refused_on_its_field(company_no, accountant_no):
    with pytest.raises(CustomerError) as caught:
        create_customer(
            company=company_no, acting_user=accountant_no, data=_data(national_id="15076500566")
        )
    assert caught.value.field == "national_id"
    assert not Customer.objects.exists()


def test_customer_number_is_unique_per_company(company_no, company_se, accountant_no):
    make_customer(company=company_no, number="700")
    make_customer(company=company_se, number="701")
    with pytest.raises(CustomerError, match="700 is already used") as caught:
        create_customer(company=company_no, acting_user=accountant_no, data=_data(number="700"))
    assert caught.value.field == "number"
    # The same number in another company is fine.
    create_customer(company=company_no, acting_user=accountant_no, data=_data(number="701"))


def test_business_needs_a_valid_organisation_number(company_no, accountant_no):
    with pytest.raises(CustomerError) as caught:
        create_customer(
            company=company_no, acting_user=accountant_no, data=_data(kind=CustomerKind.BUSINESS)
        )
    assert caught.value.field == "organisation_number"
    with pytest.raises(CustomerError) as caught:
        create_customer(
            company=company_no,
            acting_user=accountant_no,
            data=_data(kind=CustomerKind.BUSINESS, organisation_number="923609017"),
        )
    assert caught.value.field == "organisation_number"
    customer = create_customer(
        company=company_no,
        acting_user=accountant_no,
        data=_data(kind=CustomerKind.BUSINESS, organisation_number="923 609 016"),
    )
    assert customer.organisation_number == "923609016"


def test_einvoice_norway_is_not_offered_before_the_first_save(company_no, accountant_no):
    with pytest.raises(CustomerError, match="Save the customer first") as caught:
        create_customer(
            company=company_no,
            acting_user=accountant_no,
            data=_data(
                einvoice_norway=True, email="kari@example.com", postcode="0155", city="Oslo"
            ),
        )
    assert caught.value.field == "einvoice_norway"


def test_einvoice_norway_is_refused_without_email_or_mobile(company_no, accountant_no):
    customer = make_customer(company=company_no, email="", phone_1="", phone_2="")
    with pytest.raises(CustomerError, match="mobile number") as caught:
        update_customer(
            customer=customer, acting_user=accountant_no, data={"einvoice_norway": True}
        )
    assert caught.value.field == "einvoice_norway"
    customer.refresh_from_db()
    assert customer.einvoice_norway is False


def test_einvoice_norway_is_refused_outside_norway(company_se, accountant_se):
    customer = make_customer(company=company_se, email="anna@example.com")
    with pytest.raises(CustomerError, match="Norway"):
        update_customer(
            customer=customer, acting_user=accountant_se, data={"einvoice_norway": True}
        )


def test_einvoice_norway_needs_postcode_and_city(company_no, accountant_no):
    customer = make_customer(company=company_no, email="kari@example.com", postcode="", city="")
    with pytest.raises(CustomerError, match="postcode and city"):
        update_customer(
            customer=customer, acting_user=accountant_no, data={"einvoice_norway": True}
        )


def test_einvoice_norway_accepts_an_email(company_no, accountant_no):
    customer = make_customer(company=company_no, email="kari@example.com")
    saved = update_customer(
        customer=customer, acting_user=accountant_no, data={"einvoice_norway": True}
    )
    assert saved.einvoice_norway is True


def test_einvoice_norway_mobile_comes_from_the_ledger_preferences(company_no, accountant_no):
    # Default (no preferences row): phone 2 is the mobile; a mobile in phone 1 does not count.
    customer = make_customer(company=company_no, email="", phone_1="+4791234567", phone_2="")
    with pytest.raises(CustomerError, match="phone 2"):
        update_customer(
            customer=customer, acting_user=accountant_no, data={"einvoice_norway": True}
        )
    CustomerLedgerPreferences.objects.create(
        company=company_no, mobile_phone_field=MobilePhoneField.PHONE_1
    )
    saved = update_customer(
        customer=customer, acting_user=accountant_no, data={"einvoice_norway": True}
    )
    assert saved.einvoice_norway is True


def test_a_landline_in_the_mobile_field_does_not_count(company_no, accountant_no):
    customer = make_customer(company=company_no, email="", phone_2="+4722123456")
    with pytest.raises(CustomerError, match="mobile number"):
        update_customer(
            customer=customer, acting_user=accountant_no, data={"einvoice_norway": True}
        )


def test_update_rechecks_uniqueness(company_no, accountant_no):
    make_customer(company=company_no, number="800")
    other = make_customer(company=company_no, number="801")
    with pytest.raises(CustomerError, match="800"):
        update_customer(customer=other, acting_user=accountant_no, data={"number": "800"})
    other.refresh_from_db()
    assert other.number == "801"


def test_unknown_fields_are_refused(company_no, accountant_no):
    customer = make_customer(company=company_no)
    with pytest.raises(CustomerError, match="company"):
        update_customer(customer=customer, acting_user=accountant_no, data={"company": None})


def test_national_id_is_unique_per_company_on_create(company_no, accountant_no, admin_no):
    make_customer(company=company_no, number="10001", national_id=NO_FODSELSNUMMER)
    with pytest.raises(CustomerError) as caught:
        create_customer(
            company=company_no, acting_user=accountant_no, data=_data(national_id=NO_FODSELSNUMMER)
        )
    assert caught.value.field == "national_id"
    assert "Customer 10001 already has this national identity number." in caught.value.message
    assert not Customer.objects.filter(company=company_no, number="500").exists()


def test_same_national_id_is_allowed_in_another_company(company_no, accountant_no):
    from tests.factories import make_company

    other = make_company(country="NO")
    make_customer(company=other, number="10001", national_id=NO_FODSELSNUMMER)
    customer = create_customer(
        company=company_no, acting_user=accountant_no, data=_data(national_id=NO_FODSELSNUMMER)
    )
    assert customer.national_id == NO_FODSELSNUMMER


def test_national_id_is_unique_per_company_on_update(company_no, accountant_no):
    make_customer(company=company_no, number="10001", national_id=NO_FODSELSNUMMER)
    other = make_customer(company=company_no, number="10002", national_id=NO_D_NUMBER)
    with pytest.raises(CustomerError, match="Customer 10001 already") as caught:
        update_customer(
            customer=other, acting_user=accountant_no, data={"national_id": NO_FODSELSNUMMER}
        )
    assert caught.value.field == "national_id"
    # Saving a customer unchanged does not clash with itself.
    update_customer(customer=other, acting_user=accountant_no, data={"name": "Renamed"})


def test_businesses_may_share_an_organisation_number(company_no, accountant_no):
    # Several customer accounts of one business (e.g. per department) are legitimate.
    first = create_customer(
        company=company_no,
        acting_user=accountant_no,
        data=_data(number="600", kind=CustomerKind.BUSINESS, organisation_number="923609016"),
    )
    second = create_customer(
        company=company_no,
        acting_user=accountant_no,
        data=_data(number="601", kind=CustomerKind.BUSINESS, organisation_number="923609016"),
    )
    assert first.organisation_number == second.organisation_number
