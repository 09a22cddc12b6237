import pytest
from django.urls import reverse

from b2cportal.companies.middleware import SESSION_BRANCH_KEY, SESSION_COMPANY_KEY
from b2cportal.companies.models import Membership, Role
from tests.factories import make_branch

pytestmark = pytest.mark.django_db


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_shows_only_the_users_company(client, accountant_no, company_se):
    client.force_login(accountant_no)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"Fjordtech AS" in response.content
    assert company_se.name.encode() not in response.content


def test_user_without_company_gets_a_clear_page(client, django_user_model):
    user = django_user_model.objects.create_user("lonely", password="pw")
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert b"does not belong to any company" in response.content


def test_switching_to_a_foreign_company_is_refused(client, accountant_no, company_se):
    client.force_login(accountant_no)
    response = client.post(reverse("switch_company"), {"company": company_se.pk}, follow=True)
    assert SESSION_COMPANY_KEY not in client.session
    assert b"You do not have access to that company." in response.content


def test_switching_company_and_branch(client, accountant_no, company_no, company_se):
    Membership.objects.create(user=accountant_no, company=company_se, role=Role.SUPPORT)
    client.force_login(accountant_no)
    client.post(reverse("switch_company"), {"company": company_se.pk})
    assert client.session[SESSION_COMPANY_KEY] == company_se.pk
    response = client.get(reverse("home"))
    assert response.context["current_company"] == company_se
    second = make_branch(company=company_se, branch_id="GBG", name="Göteborg")
    client.post(reverse("switch_branch"), {"branch": second.pk, "next": "/"})
    assert client.session[SESSION_BRANCH_KEY] == second.pk
    foreign_branch = company_no.branches.get()
    client.post(reverse("switch_branch"), {"branch": foreign_branch.pk, "next": "/"})
    assert client.session[SESSION_BRANCH_KEY] == second.pk


def test_login_locks_out_after_repeated_failures(client, accountant_no):
    for _ in range(5):
        client.post(reverse("login"), {"username": "accountant_no", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "accountant_no", "password": "pw"})
    assert response.status_code == 429
    assert b"Too many failed login attempts" in response.content


def test_forbidden_page_keeps_the_layout_and_speaks_the_users_language(client, support_no):
    client.force_login(support_no)
    client.post(reverse("set_language"), {"language": "nb", "next": "/"})
    response = client.get(reverse("customers:create"))
    assert response.status_code == 403
    assert b'data-testid="error-403"' in response.content
    assert "Ikke tillatt" in response.content.decode()
    assert b'data-testid="company-switcher"' in response.content


def test_navigation_order_and_the_labelled_simulator_menu(client, accountant_no):
    client.force_login(accountant_no)
    context = client.get(reverse("home")).context
    assert [item["url"] for item in context["nav_items"]] == [
        "customers:list",
        "invoices:list",
        "routing:bulk",
        "agreements:list",
        "routing:billing",
        "companies:autoinvoice",
    ]
    simulator = {item["url"] for item in context["simulator_nav_items"]}
    # The network's own side (activations) is for simulator operators only.
    assert simulator == {"simulator_consumers:index", "simulator_deliveries:index"}
    assert b'data-testid="simulator-menu"' in client.get(reverse("home")).content
