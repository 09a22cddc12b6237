"""STYLE §8: Celery tasks are thin (ids in, one service call), and hold no models."""

import ast
import inspect


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
