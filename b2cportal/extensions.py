"""The one way an app extends another: a list attribute on its AppConfig, an *extension point*.

Apps depend one way (README: Architecture), so a lower app cannot import what the apps above it
add to its screens and commands. It names an extension point and collects what the installed
apps declare for it; an app that is not installed (the simulator) contributes nothing::

    class AgreementsConfig(AppConfig):
        customer_tabs = [(_("Other invoice settings"), "agreements/customer_tab.html")]
        demo_seeders = [(20, "agreements.demo.seed_demo_agreements")]

Items are data (dicts, tuples, lazy strings) or dotted paths to callables, never imported
objects: `apps.py` is imported before the models are ready. The extension points, where they
are read and what an item is, are listed in the README (Architecture: *One way to extend*).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.utils.module_loading import import_string


def contributions(point: str) -> list[Any]:
    """Every item the installed apps declare under `point`, in INSTALLED_APPS order."""
    return [item for config in apps.get_app_configs() for item in getattr(config, point, ())]


def hooks(point: str) -> list[Callable[..., Any]]:
    """The callables the installed apps name (by dotted path) under `point`."""
    return [import_string(path) for path in contributions(point)]
