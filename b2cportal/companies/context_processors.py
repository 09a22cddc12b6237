from typing import Any

from b2cportal.extensions import contributions

from .wording import wording

# Items without an "order" sit between the daily screens and Settings.
DEFAULT_ORDER = 50


def tenancy(request):
    """The current company/branch for the navbar, and the navigation the apps register.

    Apps declare `nav_items` on their AppConfig (an extension point, `b2cportal.extensions`).
    An item with `"group": "simulator"` goes into the labelled *Network simulator* menu instead
    of the main bar; an item with `"superuser": True` is shown to superusers only (a flag on the
    user, so no permission query on every page). `settings_nav_items` add tabs to the Settings
    screens.
    """
    membership = getattr(request, "membership", None)
    items: list[Any] = []
    settings_items: list[Any] = []
    if membership is not None:
        items = [
            item
            for item in contributions("nav_items")
            if membership.role in item["roles"]
            and (not item.get("superuser") or getattr(request.user, "is_superuser", False))
        ]
        # Extra tabs on the Settings screens: {"url", "label", "active", "roles"}.
        settings_items = [
            item for item in contributions("settings_nav_items") if membership.role in item["roles"]
        ]
    items.sort(key=lambda item: item.get("order", DEFAULT_ORDER))
    company = getattr(request, "company", None)
    country = getattr(company, "country", None)
    # An item may name itself per country ("country_labels": {"SE": ...}).
    items = [
        {**item, "label": item.get("country_labels", {}).get(country, item["label"])}
        for item in items
    ]
    return {
        **wording(company),
        "current_membership": membership,
        "current_company": getattr(request, "company", None),
        "current_branch": getattr(request, "branch", None),
        "nav_items": [item for item in items if not item.get("group")],
        "simulator_nav_items": [item for item in items if item.get("group") == "simulator"],
        "settings_nav_items": settings_items,
    }
