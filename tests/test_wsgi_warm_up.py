"""The web process compiles the validation rules at start, not on the first *Validate*."""

from __future__ import annotations

import importlib
import threading


def test_loading_the_wsgi_application_warms_up_the_validation_rules(monkeypatch):
    import invoices.validation

    called = threading.Event()
    monkeypatch.setattr(invoices.validation, "warm_up", called.set)
    import b2cportal.wsgi

    importlib.reload(b2cportal.wsgi)
    assert called.wait(timeout=10)
