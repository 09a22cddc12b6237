"""The simulator's tests reuse the agreements fixtures (companies, branches, customers)."""

import pytest

from tests.agreements.conftest import (  # noqa: F401  (fixtures)
    customer_no,
    customer_se,
    main_branch,
    run_on_commit,
    second_branch,
    sweden_branch,
)


@pytest.fixture(autouse=True)
def _spool(settings, tmp_path):
    settings.PRINT_SPOOL_DIR = tmp_path / "spool"


@pytest.fixture
def operator(db):
    """A simulator operator: no company, only the `simulator.operate_network` permission."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("sim-operator", password="pw")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="simulator", codename="operate_network")
    )
    return user
