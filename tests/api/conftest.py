"""API fixtures: keys per company and scope, and a client that sends them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.services import create_api_key
from tests.factories import invoice_ready_company

ALL_SCOPES = ["read", "write", "send"]


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    # The rate is tested on its own; other tests must not trip over the shared cache.
    settings.API_THROTTLE_RATE = "100000/minute"


def make_key(company, user, scopes=None, name="ERP"):
    """(ApiKey, raw key) for `company`, created by the administrator `user`."""
    return create_api_key(company=company, acting_user=user, name=name, scopes=scopes or ALL_SCOPES)


def api_client(raw_key: str | None = None, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if raw_key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}", HTTP_ACCEPT_LANGUAGE=language)
    return client


@pytest.fixture
def no_key(company_no, admin_no):
    invoice_ready_company(company_no)
    return make_key(company_no, admin_no)


@pytest.fixture
def se_key(company_se, admin_se):
    invoice_ready_company(company_se)
    return make_key(company_se, admin_se)


@pytest.fixture
def no_api(no_key):
    return api_client(no_key[1])


@pytest.fixture
def se_api(se_key):
    return api_client(se_key[1])


@pytest.fixture
def keyed(company_no, admin_no):
    """keyed(scopes, language) -> an APIClient with a new NO key of exactly those scopes."""

    def _client(scopes, language="en"):
        return api_client(make_key(company_no, admin_no, scopes)[1], language)

    return _client
