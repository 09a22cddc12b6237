import pytest

from b2cportal.customers.models import Customer
from b2cportal.pagination import capped_page
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def seven(company_no):
    for n in range(7):
        make_customer(company=company_no, number=f"{n:03d}")
    return Customer.objects.order_by("number")


def test_pages_and_exact_total(seven):
    first = capped_page(seven, None, per_page=3)
    assert [c.number for c in first] == ["000", "001", "002"]
    assert first.has_next
    assert not first.has_previous
    assert (first.total, first.total_is_exact) == (7, True)
    last = capped_page(seven, "3", per_page=3)
    assert [c.number for c in last] == ["006"]
    assert not last.has_next
    assert (last.start_index, last.end_index) == (7, 7)


def test_total_is_capped(seven):
    page = capped_page(seven, 1, per_page=2, count_cap=5)
    assert (page.total, page.total_is_exact) == (5, False)
    # Pages past the cap are still reachable.
    assert [c.number for c in capped_page(seven, 4, per_page=2, count_cap=5)] == ["006"]


@pytest.mark.parametrize("junk", ["x", "-3", "0", ""])
def test_junk_page_numbers_mean_page_one(seven, junk):
    assert capped_page(seven, junk, per_page=3).number == 1


def test_list_shows_the_range_in_the_users_locale(client, accountant_no, company_no, seven):
    client.force_login(accountant_no)
    response = client.get("/customers/")
    assert "1\u20137 of 7" in response.content.decode()
    client.post("/i18n/setlang/", {"language": "nb", "next": "/"})
    assert "1\u20137 av 7" in client.get("/customers/").content.decode()
