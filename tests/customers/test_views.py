"""Customer screens: HTTP behaviour around the services (status, redirects, messages, errors)."""

import copy

import pytest
from django.urls import reverse

from b2cportal.customers.models import Customer
from tests.factories import NO_FODSELSNUMMER, SE_PERSONNUMMER_12, make_customer

pytestmark = pytest.mark.django_db

LIST = reverse("customers:list")
CREATE = reverse("customers:create")


def _form(**overrides):
    data = {
        "number": "900",
        "name": "Kari Nordmann",
        "kind": "consumer",
        "national_id": "",
        "organisation_number": "",
        "vat_number": "",
        "address_line1": "Storgata 1",
        "address_line2": "",
        "postcode": "0155",
        "city": "Oslo",
        "country": "NO",
        "is_active": "on",
        "email": "",
        "phone_1": "",
        "phone_2": "",
        "language": "nb",
        "delivery_method": "autoinvoice",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_list_requires_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_shows_only_the_current_company(client, accountant_no, company_se):
    make_customer(company=accountant_no.memberships.get().company, name="Ola Fjord")
    make_customer(company=company_se, name="Sven Svensk")
    client.force_login(accountant_no)
    response = client.get(LIST)
    assert b"Ola Fjord" in response.content
    assert b"Sven Svensk" not in response.content


def test_list_masks_national_ids(client, accountant_se, company_se):
    make_customer(company=company_se, name="Anna", national_id=SE_PERSONNUMMER_12)
    client.force_login(accountant_se)
    response = client.get(LIST)
    assert b"19811218-****" in response.content
    assert SE_PERSONNUMMER_12.encode() not in response.content


@pytest.mark.parametrize(
    "term",
    ["811218-9876", "19811218-9876", "198112189876", "8112189876"],
)
def test_search_by_national_id_in_any_typed_form(client, accountant_se, company_se, term):
    make_customer(company=company_se, name="Anna Match", national_id=SE_PERSONNUMMER_12)
    make_customer(company=company_se, name="Erik Other", national_id="")
    client.force_login(accountant_se)
    response = client.get(LIST, {"q": term})
    assert b"Anna Match" in response.content
    assert b"Erik Other" not in response.content


@pytest.mark.parametrize(
    ("field", "value", "term"),
    [
        ("number", "12345", "123"),
        ("name", "Kari Nordmann", "nordm"),
        ("email", "kari@fjord.example", "FJORD.example"),
        ("phone_2", "+4791234567", "912 34 567"),
        ("national_id", NO_FODSELSNUMMER, NO_FODSELSNUMMER),
    ],
)
def test_search_fields(client, accountant_no, company_no, field, value, term):
    make_customer(company=company_no, **{"name": "Target", field: value})
    make_customer(company=company_no, number="999", name="Bystander")
    client.force_login(accountant_no)
    response = client.get(LIST, {"q": term})
    names = [c.name for c in response.context["page"]]
    assert names == ["Kari Nordmann" if field == "name" else "Target"]


def test_filters(client, accountant_no, company_no):
    make_customer(company=company_no, name="Consumer E", einvoice_norway=True)
    make_customer(
        company=company_no, name="Business", kind="business", organisation_number="923609016"
    )
    make_customer(company=company_no, name="Sleeping", is_active=False, delivery_method="print")
    client.force_login(accountant_no)

    def names(**params):
        return sorted(c.name for c in client.get(LIST, params).context["page"])

    assert names(kind="business") == ["Business"]
    assert names(einvoice_norway="yes") == ["Consumer E"]
    assert names(active="no") == ["Sleeping"]
    assert names(delivery_method="print") == ["Sleeping"]
    assert names(country="SE") == []
    assert len(names()) == 3


def test_list_is_paginated_by_fifty(client, accountant_no, company_no):
    for n in range(55):
        make_customer(company=company_no, number=f"{n:05d}")
    client.force_login(accountant_no)
    first = client.get(LIST)
    assert len(first.context["page"]) == 50
    second = client.get(LIST, {"page": 2})
    assert [c.number for c in second.context["page"]] == [f"{n:05d}" for n in range(50, 55)]


def test_list_query_count_is_constant(client, accountant_no, company_no, django_assert_num_queries):
    client.force_login(accountant_no)
    for _n in range(5):
        make_customer(company=company_no)
    client.get(LIST)  # warm up: session, content types
    with django_assert_num_queries(6) as few:
        client.get(LIST)
    for _n in range(55):
        make_customer(company=company_no)
    with django_assert_num_queries(6) as many:
        response = client.get(LIST)
    assert len(response.context["page"]) == 50
    assert len(few.captured_queries) == len(many.captured_queries)


def test_create_customer(client, accountant_no, company_no):
    client.force_login(accountant_no)
    response = client.post(CREATE, _form(national_id=NO_FODSELSNUMMER, phone_2="91234567"))
    customer = Customer.objects.get(company=company_no, number="900")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.phone_2 == "+4791234567"
    follow = client.get(response["Location"])
    assert b"Customer 900 Kari Nordmann created." in follow.content


def test_create_form_has_no_einvoice_option(client, accountant_no):
    client.force_login(accountant_no)
    response = client.get(CREATE)
    assert "einvoice_norway" not in response.context["form"].fields
    assert b'name="einvoice_norway"' not in response.content
    # Posting it anyway does not switch it on.
    client.post(CREATE, _form(einvoice_norway="on", email="kari@example.com"))
    assert Customer.objects.get(number="900").einvoice_norway is False


def test_bad_national_id_shows_on_its_field_in_the_general_tab(client, accountant_no):
    client.force_login(accountant_no)
    response = client.post(CREATE, _form(national_id="15076500566", email="kari@example.com"))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["national_id"]
    tabs = {t["id"]: t for t in form.tabs()}
    assert tabs["general"]["active"]
    assert tabs["general"]["error_count"] == 1
    assert b'data-testid="tab-general-errors"' in response.content
    # Nothing typed is lost.
    assert b"kari@example.com" in response.content
    assert not Customer.objects.exists()


def test_phone_error_opens_the_invoicing_tab(client, accountant_no):
    client.force_login(accountant_no)
    response = client.post(CREATE, _form(phone_1="12"))
    tabs = {t["id"]: t for t in response.context["form"].tabs()}
    assert tabs["invoicing"]["active"]
    assert not tabs["general"]["active"]


def test_duplicate_number_is_a_field_error(client, accountant_no, company_no):
    make_customer(company=company_no, number="900")
    client.force_login(accountant_no)
    response = client.post(CREATE, _form())
    assert "already used" in response.context["form"].errors["number"][0]


def test_einvoice_refusal_is_shown_on_the_field(client, accountant_no, company_no):
    customer = make_customer(company=company_no, number="900", email="", phone_2="")
    client.force_login(accountant_no)
    response = client.post(
        reverse("customers:edit", args=[customer.pk]), _form(einvoice_norway="on")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["einvoice_norway"]
    assert "mobile number" in errors["einvoice_norway"][0]
    tabs = {t["id"]: t for t in response.context["form"].tabs()}
    assert tabs["invoicing"]["active"]
    customer.refresh_from_db()
    assert customer.einvoice_norway is False


def test_edit_enables_einvoice_with_a_mobile(client, accountant_no, company_no):
    customer = make_customer(company=company_no, number="900")
    client.force_login(accountant_no)
    response = client.post(
        reverse("customers:edit", args=[customer.pk]),
        _form(einvoice_norway="on", phone_2="+47 412 34 567"),
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.einvoice_norway is True
    assert customer.phone_2 == "+4741234567"


def test_support_is_read_only(client, support_no, company_no):
    customer = make_customer(company=company_no)
    client.force_login(support_no)
    listing = client.get(LIST)
    assert listing.status_code == 200
    assert b'data-testid="customer-create"' not in listing.content
    detail = client.get(customer.get_absolute_url())
    assert detail.status_code == 200
    assert b'data-testid="customer-edit"' not in detail.content
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, _form()).status_code == 403
    edit = reverse("customers:edit", args=[customer.pk])
    assert client.post(edit, _form(name="Changed")).status_code == 403
    customer.refresh_from_db()
    assert customer.name != "Changed"


def test_foreign_customer_is_404(client, accountant_no, company_se):
    foreign = make_customer(company=company_se)
    client.force_login(accountant_no)
    assert client.get(foreign.get_absolute_url()).status_code == 404
    edit = reverse("customers:edit", args=[foreign.pk])
    assert client.post(edit, _form()).status_code == 404


def test_detail_renders_registered_extra_tabs(
    client, accountant_no, company_no, tmp_path, settings, monkeypatch
):
    from django.apps import apps

    (tmp_path / "extra_tab.html").write_text("EXTRA for {{ customer.number }}")
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], tmp_path]
    settings.TEMPLATES = templates
    customer = make_customer(company=company_no, number="4242")
    tabs = [("Extra tab", "extra_tab.html")]
    monkeypatch.setattr(apps.get_app_config("customers"), "customer_tabs", tabs, raising=False)
    client.force_login(accountant_no)
    response = client.get(customer.get_absolute_url())
    assert b"Extra tab" in response.content
    assert b"EXTRA for 4242" in response.content


@pytest.mark.parametrize(
    ("language", "label", "date_sep"),
    [("nb", "Kunder", "."), ("sv", "Kunder", "-"), ("en", "Customers", "-")],
)
def test_screens_follow_the_users_language_and_locale(
    client, accountant_no, company_no, language, label, date_sep
):
    customer = make_customer(company=company_no)
    client.force_login(accountant_no)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    listing = client.get(LIST)
    assert f'<h1 class="h3 me-auto mb-0">{label}</h1>'.encode() in listing.content
    detail = client.get(customer.get_absolute_url()).content.decode()
    stamp = customer.updated_at.astimezone().strftime("%Y")
    assert stamp in detail
    # nb: 21.11.2026, sv: 2026-11-21, en: 2026-11-21 (b2cportal/formats/en: ISO, not US)
    from django.utils import formats, timezone, translation

    with translation.override(language):
        expected = formats.date_format(
            timezone.localtime(customer.updated_at), "SHORT_DATETIME_FORMAT"
        )
    assert expected in detail
    assert date_sep in expected


def test_enabling_einvoice_sends_one_agreement_request_by_sms(
    client, accountant_no, company_no, django_capture_on_commit_callbacks
):
    from agreements.models import AgreementRequest, ConsumerAgreement
    from b2cportal.companies.models import NorwayB2CActivation

    branch = company_no.branches.get(is_main_office=True)
    NorwayB2CActivation.objects.create(branch=branch, status="active")
    customer = make_customer(company=company_no, number="900")
    client.force_login(accountant_no)
    url = reverse("customers:edit", args=[customer.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, _form(einvoice_norway="on", phone_2="+47 412 34 567"), follow=True
        )
    # Queued, not yet sent: the request leaves after the save commits.
    assert (
        "agreement request by SMS to +4741234567 is queued for sending" in response.content.decode()
    )
    request = AgreementRequest.objects.get()
    assert request.channel == "sms"
    assert ConsumerAgreement.objects.get(customer=customer).status == "REQUEST_SENT"

    # Saving again while the request is open does not message the consumer again.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, _form(einvoice_norway="on", phone_2="+47 412 34 567"))
    assert AgreementRequest.objects.count() == 1


@pytest.mark.parametrize(
    "field", ["name", "address_line1", "address_line2", "city", "vat_number", "number"]
)
def test_xml_illegal_characters_are_refused_on_their_field(client, accountant_no, field):
    client.force_login(accountant_no)
    response = client.post(CREATE, _form(**{field: "Bad\x07value"}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "cannot be sent in an e-invoice" in response.context["form"].errors[field][0]
    assert not Customer.objects.exists()


def test_edit_with_a_control_character_keeps_the_saved_name(client, accountant_no, company_no):
    customer = make_customer(company=company_no, number="900", name="Kari Nordmann")
    client.force_login(accountant_no)
    response = client.post(
        reverse("customers:edit", args=[customer.pk]), _form(name="Kari\x07Nordmann")
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    customer.refresh_from_db()
    assert customer.name == "Kari Nordmann"


def test_malformed_filter_value_shows_a_message_not_a_crash(client, accountant_no, company_no):
    make_customer(company=company_no, name="Ola Fjord")
    client.force_login(accountant_no)
    response = client.get(LIST, {"kind": "martian", "q": "xy"})
    assert response.status_code == 200
    assert b'data-testid="customer-filter-errors"' in response.content
    assert b"Ola Fjord" in response.content
    # A NUL byte is refused before any screen sees it (b2cportal.middleware).
    assert client.get(LIST, {"q": "x\x00y"}).status_code == 400


def test_duplicate_national_id_is_refused_on_its_field(client, accountant_no, company_no):
    make_customer(company=company_no, number="10001", national_id=NO_FODSELSNUMMER)
    client.force_login(accountant_no)
    response = client.post(CREATE, _form(national_id=NO_FODSELSNUMMER))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["national_id"] == [
        "Customer 10001 already has this national identity number."
    ]
    assert not Customer.objects.filter(number="900").exists()


def test_history_tab_shows_who_changed_the_national_id_masked(
    client, accountant_no, support_no, company_no
):
    customer = make_customer(company=company_no, number="900", national_id=NO_FODSELSNUMMER)
    client.force_login(accountant_no)
    edit = reverse("customers:edit", args=[customer.pk])
    response = client.post(edit, _form(national_id="01010012356", name="Kari Nordmann"))
    assert response.status_code == 302
    # A refused edit changes nothing and records nothing.
    assert client.post(edit, _form(national_id="01010012357")).status_code == 200
    client.force_login(support_no)
    page = client.get(customer.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = page.split('data-testid="history-row"')[1:]
    assert [row.split('"', 2)[1] for row in rows].count("customer.updated") == 1
    changed = rows[0]
    assert changed.startswith(' data-action="customer.updated"')
    assert accountant_no.get_username() in changed
    assert "Screen" in changed
    # Masked both sides: support sees that it changed, and by whom, not the numbers.
    assert "National identity number: 150765***** → 010100*****" in changed
    assert NO_FODSELSNUMMER not in page.split('data-testid="history"')[1]
    assert "01010012356" not in page.split('data-testid="history"')[1]
