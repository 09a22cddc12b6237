import pytest

from tests.factories import invoice_ready_company


@pytest.fixture
def inv_no(company_no):
    return invoice_ready_company(company_no)


@pytest.fixture
def inv_se(company_se):
    return invoice_ready_company(company_se)
