"""The simulator's activation list: constant queries and no other company's requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from b2cportal.network.models import ActivationRequest

pytestmark = pytest.mark.django_db

URL = reverse("network:activations")


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


def test_activation_list_query_count_is_constant(client, admin_no, company_no):
    _request(company_no)
    client.force_login(admin_no)
    few = _queries(client)
    for _ in range(20):
        _request(company_no)
    assert _queries(client) == few


def test_activation_list_has_no_foreign_rows(client, admin_no, company_no, company_se):
    own = _request(company_no)
    foreign = _request(company_se)
    client.force_login(admin_no)
    content = client.get(URL).content.decode()
    assert str(own.reference) in content
    assert str(foreign.reference) not in content
    assert company_se.organisation_number not in content
    assert company_se.name not in content
