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


def _task_bodies():
    from agreements import tasks

    tree = ast.parse(inspect.getsource(tasks))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring
            yield node.name, body


def test_each_task_is_one_service_call():
    """STYLE §8: tasks are thin (ids in, a service does the work)."""
    names = []
    for name, body in _task_bodies():
        names.append(name)
        assert len(body) == 1, f"{name} has {len(body)} statements"
        call = body[0].value
        assert isinstance(call, ast.Call), name
        assert isinstance(call.func, ast.Attribute), name
        assert isinstance(call.func.value, ast.Name), name
        assert call.func.value.id == "services", name
    assert "check_efaktura_directory_weekly" in names
    assert "sweep_agreement_requests" in names


def test_tasks_import_no_models():
    from agreements import tasks

    source = inspect.getsource(tasks)
    assert ".models" not in source
    assert "Customer" not in source
