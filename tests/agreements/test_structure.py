"""Layering rules the review asked for: a services package, thin tasks and views."""

import ast
import inspect
from pathlib import Path

import agreements
from agreements import services

SERVICES_DIR = Path(agreements.__file__).parent / "services"


def test_services_is_a_package_of_small_modules():
    assert SERVICES_DIR.is_dir()
    for module in SERVICES_DIR.glob("*.py"):
        assert len(module.read_text().splitlines()) < 400, module.name


def test_every_public_service_is_re_exported():
    from agreements.services import handle_customer_saved  # customers.views imports this

    assert callable(handle_customer_saved)
    for name in services.__all__:
        assert hasattr(services, name), name
    for module in SERVICES_DIR.glob("*.py"):
        tree = ast.parse(module.read_text())
        public = [
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
        ]
        for name in public:
            assert name in services.__all__, f"{module.name}: {name} not re-exported"
