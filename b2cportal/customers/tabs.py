"""Extra tabs on the customer detail page, contributed by higher apps.

The customer screen (AR303000) belongs to this app, but later apps show their own data on it
(agreements: the *Other invoice settings* tab with the e-invoice agreement status; invoices: the
customer's invoices). This app must not import them, so they register here instead.

How to add a tab, from your app's `AppConfig.ready()`::

    from b2cportal.customers.tabs import CUSTOMER_DETAIL_TABS
    CUSTOMER_DETAIL_TABS.append((_("Agreements"), "agreements/includes/_customer_tab.html"))

`label` is shown on the tab (use `gettext_lazy`), `template_name` is included inside the tab
pane with `customer` (the Customer), `request` and the usual context. Keep the template cheap:
it runs on every detail page view. The list is empty by default; order is registration order.
"""

from __future__ import annotations

from django.utils.functional import Promise

CUSTOMER_DETAIL_TABS: list[tuple[str | Promise, str]] = []
