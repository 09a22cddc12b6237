"""Customers over the API: the screen's services, rules and errors, as JSON with field paths."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.models import AgreementRequest
from b2cportal.customers.models import Customer
from tests.conftest import requires_postgres
from tests.factories import NO_FODSELSNUMMER, SWEDISH_SSN, make_customer
from tests.routing.builders import activate

from .conftest import api_client, make_key

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"


def errors(response) -> dict[str | None, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_create_read_and_list(no_api, company_no, admin_no):
    response = no_api.post(
        URL,
        {
            "number": "5001",
            "name": "Kari Nordmann",
            "national_id": "150765 00565",
            "postcode": "0155",
            "city": "Oslo",
            "phone_2": "912 34 567",
            "email": "kari@example.com",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == "/api/v1/customers/5001/"
    assert body["national_id"] == NO_FODSELSNUMMER  # canonicalised by the service
    assert body["phone_2"] == "+4791234567"
    assert body["country"] == "NO"
    assert body["einvoice_norway"] is False
    customer = Customer.objects.get(company=company_no, number="5001")
    assert customer.updated_by == admin_no  # the key's creator is the acting user
    assert no_api.get("/api/v1/customers/5001/").json()["name"] == "Kari Nordmann"
    # Search like the list screen: exact national ID typed with separators.
    found = no_api.get(URL, {"q": "150765-00565"}).json()["results"]
    assert [c["number"] for c in found] == ["5001"]


def test_list_filters_and_cursor_pages(no_api, company_no):
    for n in range(5):
        make_customer(company=company_no, number=f"60{n}", kind="consumer")
    make_customer(
        company=company_no, number="699", kind="business", organisation_number="974760673"
    )
    page = no_api.get(URL, {"page_size": 2}).json()
    assert [c["number"] for c in page["results"]] == ["600", "601"]
    seen = [c["number"] for c in page["results"]]
    while page["next"]:
        page = no_api.get(page["next"]).json()
        seen += [c["number"] for c in page["results"]]
    assert seen == ["600", "601", "602", "603", "604", "699"]
    business = no_api.get(URL, {"kind": "business"}).json()["results"]
    assert [c["number"] for c in business] == ["699"]
    bad = no_api.get(URL, {"kind": "alien", "is_active": "maybe"})
    assert bad.status_code == 400
    assert set(errors(bad)) == {"kind", "is_active"}


def test_list_query_count_does_not_grow_with_rows(no_api, company_no):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert no_api.get(URL).status_code == 200
        return len(ctx.captured_queries)

    make_customer(company=company_no)
    count()  # the first request of a minute also records the key's last use
    few = count()
    for _ in range(30):
        make_customer(company=company_no)
    assert count() == few
    assert few <= 6


def test_upsert_by_number_creates_then_updates(no_api, company_no):
    first = no_api.put(f"{URL}7001/", {"name": "Ola", "city": "Bergen"}, format="json")
    assert first.status_code == 201
    second = no_api.put(f"{URL}7001/", {"email": "ola@example.com"}, format="json")
    assert second.status_code == 200
    customer = Customer.objects.get(company=company_no, number="7001")
    assert (customer.name, customer.city, customer.email) == ("Ola", "Bergen", "ola@example.com")
    missing_name = no_api.put(f"{URL}7002/", {"city": "Bergen"}, format="json")
    assert missing_name.status_code == 400
    assert "name" in errors(missing_name)


def test_einvoice_norway_follows_the_screens_rules(no_api, company_no):
    activate(company_no, no=True)
    refused = no_api.post(
        URL, {"number": "8001", "name": "Kari", "einvoice_norway": True}, format="json"
    )
    assert refused.status_code == 400
    assert "Save the customer first" in errors(refused)["einvoice_norway"]
    no_api.put(f"{URL}8001/", {"name": "Kari", "postcode": "", "city": ""}, format="json")
    refused = no_api.patch(f"{URL}8001/", {"einvoice_norway": True}, format="json")
    assert refused.status_code == 400
    message = errors(refused)["einvoice_norway"]
    assert "postcode and city" in message
    assert "email or a mobile number" in message
    accepted = no_api.patch(
        f"{URL}8001/",
        {"einvoice_norway": True, "postcode": "0155", "city": "Oslo", "email": "k@example.com"},
        format="json",
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["einvoice_norway"] is True
    # Like the screen's save, switching it on asks the consumer for the agreement.
    assert AgreementRequest.objects.filter(agreement__customer__number="8001").count() == 1


@pytest.mark.parametrize(
    ("language", "national_id", "einvoice"),
    [
        ("en", "check digit", "cannot be switched on"),
        ("nb", "kontrollsiffer", "kan ikke slås på"),
        ("sv", "kontrollsiffra", "kan inte slås på"),
    ],
)
def test_errors_name_the_field_in_the_requests_language(
    company_no, admin_no, language, national_id, einvoice
):
    client = api_client(make_key(company_no, admin_no)[1], language)
    response = client.post(
        URL, {"number": "9", "name": "X", "national_id": "15076500566"}, format="json"
    )
    assert response.status_code == 400
    assert national_id in errors(response)["national_id"].lower()
    make_customer(company=company_no, number="10", postcode="", city="")
    response = client.patch(f"{URL}10/", {"einvoice_norway": True}, format="json")
    assert einvoice in errors(response)["einvoice_norway"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"number": "1", "name": "A", "kind": "alien"}, "kind"),
        ({"number": "1", "name": "A", "country": "DK"}, "country"),
        ({"number": "1", "name": "A\x01"}, "name"),
        ({"number": "1", "name": "A", "colour": "red"}, "colour"),
        ({"number": "1", "name": "A", "email": "not-an-email"}, "email"),
        ({"number": "1", "name": "A", "phone_1": "12"}, "phone_1"),
        ({"number": "1", "kind": "business", "name": "A"}, "organisation_number"),
        ({"name": "A"}, "number"),
        ({"number": "1", "name": "A", "is_active": "perhaps"}, "is_active"),
    ],
)
def test_bad_input_is_400_with_the_field_path(no_api, body, field):
    response = no_api.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in errors(response)
    assert not Customer.objects.exists()


def test_malformed_json_is_400(no_api):
    response = no_api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] is None


def test_swedish_company_never_sees_the_norway_option(se_api, company_se):
    response = se_api.post(
        URL,
        {"number": "1", "name": "Sven", "national_id": "811218-9876", "postcode": "111 22"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert "einvoice_norway" not in response.json()
    assert response.json()["national_id"] == SWEDISH_SSN
    assert response.json()["language"] == "sv"  # the company's language, like the form
    refused = se_api.patch(f"{URL}1/", {"einvoice_norway": True}, format="json")
    assert refused.status_code == 400
    assert "einvoice_norway" in errors(refused)


def test_agreements_per_customer(no_api, company_no):
    from agreements.models import ConsumerAgreement

    activate(company_no, no=True)
    customer = make_customer(company=company_no, number="4242")
    ConsumerAgreement.objects.create(
        customer=customer,
        branch=company_no.branches.get(),
        network="NO_EFAKTURA",
        status="ACTIVE",
        reference="4242",
        source="online_bank",
    )
    rows = no_api.get(f"{URL}4242/agreements/").json()
    assert len(rows) == 1
    assert (rows[0]["status"], rows[0]["network"], rows[0]["reference"]) == (
        "ACTIVE",
        "NO_EFAKTURA",
        "4242",
    )
    assert no_api.get(f"{URL}nope/agreements/").status_code == 404


@pytest.mark.parametrize(
    ("scopes", "method", "expected"),
    [
        (["write"], "get", 403),
        (["send"], "get", 403),
        (["read"], "post", 403),
        (["read"], "put", 403),
        (["read"], "patch", 403),
        (["send"], "post", 403),
        (["read"], "get", 200),
        (["write"], "post", 201),
    ],
)
def test_scopes(keyed, company_no, scopes, method, expected):
    make_customer(company=company_no, number="55")
    client = keyed(scopes)
    if method == "get":
        response = client.get(URL)
    elif method == "post":
        response = client.post(URL, {"number": "56", "name": "N"}, format="json")
    else:
        response = getattr(client, method)(f"{URL}55/", {"name": "N"}, format="json")
    assert response.status_code == expected
    if expected == 403:
        assert "scope" in response.json()["detail"]
        assert Customer.objects.get(number="55").name != "N"


def test_agreements_list_of_the_company(no_api, se_api, company_no):
    from agreements.models import ConsumerAgreement

    branch = company_no.branches.get()
    for number, agreement_status in (("1", "ACTIVE"), ("2", "REQUEST_SENT"), ("3", "ACTIVE")):
        ConsumerAgreement.objects.create(
            customer=make_customer(company=company_no, number=number, name=f"Ingrid Unik{number}"),
            branch=branch,
            network="NO_EFAKTURA",
            status=agreement_status,
            reference=number,
            source="request_sms",
        )
    rows = no_api.get("/api/v1/agreements/", {"status": "ACTIVE"}).json()["results"]
    assert [(r["customer"], r["status"]) for r in rows] == [("3", "ACTIVE"), ("1", "ACTIVE")]
    found = no_api.get("/api/v1/agreements/", {"q": "unik2"}).json()["results"]
    assert [r["customer"] for r in found] == ["2"]
    assert no_api.get("/api/v1/agreements/", {"branch": "MAIN"}).json()["results"]
    bad = no_api.get("/api/v1/agreements/", {"branch": "NOPE", "network": "FAX"})
    assert bad.status_code == 400
    assert set(errors(bad)) == {"branch", "network"}
    assert se_api.get("/api/v1/agreements/").json()["results"] == []

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert no_api.get("/api/v1/agreements/").status_code == 200
        return len(ctx.captured_queries)

    count()
    few = count()
    for n in range(10):
        ConsumerAgreement.objects.create(
            customer=make_customer(company=company_no, number=f"9{n}"),
            branch=branch,
            network="NO_EFAKTURA",
            status="NEW",
            reference=f"9{n}",
            source="request_sms",
        )
    assert count() == few


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_upserts_of_a_new_number_create_one_customer(company_no, no_key):
    import threading

    results = []
    barrier = threading.Barrier(4)

    def run(n):
        try:
            client = api_client(no_key[1])
            barrier.wait()
            response = client.put(f"{URL}race/", {"name": f"Racer {n}"}, format="json")
            results.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [200, 200, 200, 201]
    assert Customer.objects.filter(company=company_no, number="race").count() == 1
