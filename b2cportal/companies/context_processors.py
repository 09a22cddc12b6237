from django.apps import apps


def tenancy(request):
    """The current company/branch for the navbar, and the navigation the apps register."""
    membership = getattr(request, "membership", None)
    nav = []
    if membership is not None:
        for config in apps.get_app_configs():
            for item in getattr(config, "nav_items", ()):
                if membership.role in item["roles"]:
                    nav.append(item)
    return {
        "current_membership": membership,
        "current_company": getattr(request, "company", None),
        "current_branch": getattr(request, "branch", None),
        "nav_items": nav,
    }
