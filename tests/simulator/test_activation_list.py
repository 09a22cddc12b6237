"""The simulator's activation list: the network's view, for operators, in constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from simulator.models import ActivationRequest

pytestmark = pytest.mark.django_db

URL = reverse("simulator:activations")


def _request(company, **extra) -> ActivationRequest:
    return ActivationRequest.objects.create(
        service="b2cno" if company.country == "NO" else "b2cse",
        organisation_number=company.organisation_number,
        payload={"company_name": company.name, **extra},
        completes_at=timezone.now() + timedelta(hours=1),
    )


def _queries(client) -> int:
    client.get(URL)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


def test_activation_list_query_count_is_constant(client, operator, company_no, company_se):
    _request(company_no)
    client.force_login(operator)
    few = _queries(client)
    for _ in range(20):
        _request(company_no)
        _request(company_se)
    assert _queries(client) == few


def test_activation_list_is_the_networks_view_of_every_company(
    client, operator, admin_no, company_no, company_se
):
    own = _request(company_no)
    foreign = _request(company_se)
    client.force_login(operator)
    content = client.get(URL).content.decode()
    assert company_no.organisation_number in content
    assert company_se.organisation_number in content
    client.force_login(admin_no)
    assert client.get(URL).status_code == 403
    assert ActivationRequest.objects.filter(pk__in=[own.pk, foreign.pk]).count() == 2
