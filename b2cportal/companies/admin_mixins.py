"""Admin scoping and roles: staff see only rows of companies they belong to, as their role allows.

Superusers see and change everything. Other staff reach the admin only through a membership:
- administrators manage their companies' rows (within the Django permissions they hold);
- support staff see their companies' rows read-only;
- accountants have no admin (README: *What each role can do*).
Foreign-key choices and raw-id labels are limited to the companies the user administers.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models

from b2cportal.audit.admin_mixins import AuditedAdminMixin
from b2cportal.pagination import CappedAdminPaginator

from .models import Membership, Role

# Roles that may open the admin at all, and the one that may write there.
ADMIN_VIEW_ROLES = (Role.ADMINISTRATOR, Role.SUPPORT)
ADMIN_WRITE_ROLES = (Role.ADMINISTRATOR,)


def admin_roles(request) -> dict[int, str]:
    """{company id: role} of the requesting user, read once per request."""
    roles = getattr(request, "_admin_company_roles", None)
    if roles is None:
        roles = dict(Membership.objects.filter(user=request.user).values_list("company_id", "role"))
        request._admin_company_roles = roles
    return roles


def admin_company_ids(request, roles) -> list[int]:
    return [company_id for company_id, role in admin_roles(request).items() if role in roles]


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw-id input that names only rows the user may see: any other id gets no label."""

    def __init__(self, rel, admin_site, *, queryset, **kwargs):
        super().__init__(rel, admin_site, **kwargs)
        self.scoped_queryset = queryset

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            self.scoped_queryset.get(**{key: value})
        except (ValueError, TypeError, ValidationError, ObjectDoesNotExist):
            return "", ""
        return super().label_and_url_for_value(value)


class TenantScopedAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Scope rows by `company_path`: the lookup from the model to its Company. Every save and
    delete made through it is recorded in the audit trail."""

    company_path = "company"
    show_full_result_count = False
    paginator = CappedAdminPaginator
    # Half of Django's 100 rows: a change list renders in well under 300 ms server time.
    list_per_page = 50
    # Links we store are https; say so instead of relying on the deprecated http default.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    # -- which company an object belongs to --------------------------------------------------

    def company_id_of(self, obj) -> int | None:
        if obj is None:
            return None
        if self.company_path == "pk":
            return obj.pk
        *path, last = self.company_path.split("__")
        target = obj
        for name in path:
            target = getattr(target, name, None)
            if target is None:
                return None
        return getattr(target, f"{last}_id", None)

    def _role_allows(self, request, obj, roles) -> bool:
        if request.user.is_superuser:
            return True
        if obj is None:
            return bool(admin_company_ids(request, roles))
        return admin_roles(request).get(self.company_id_of(obj)) in roles  # type: ignore[arg-type]

    # -- rows ------------------------------------------------------------------------------

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        companies = admin_company_ids(request, ADMIN_VIEW_ROLES)
        return queryset.filter(**{f"{self.company_path}__in": companies})

    # -- permissions: the Django permission AND the role in the object's company -----------

    def has_module_permission(self, request):
        return super().has_module_permission(request) and self._role_allows(
            request, None, ADMIN_VIEW_ROLES
        )

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._role_allows(
            request, obj, ADMIN_VIEW_ROLES
        )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._role_allows(
            request, None, ADMIN_WRITE_ROLES
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._role_allows(
            request, obj, ADMIN_WRITE_ROLES
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._role_allows(
            request, obj, ADMIN_WRITE_ROLES
        )

    def get_inline_instances(self, request, obj=None):
        # Inlines write through the parent: read-only whenever the parent is.
        instances = super().get_inline_instances(request, obj)
        if not self.has_change_permission(request, obj):
            for inline in instances:
                inline.has_add_permission = lambda *args, **kwargs: False  # type: ignore[method-assign]
                inline.has_change_permission = lambda *args, **kwargs: False  # type: ignore[method-assign]
                inline.has_delete_permission = lambda *args, **kwargs: False  # type: ignore[method-assign]
        return instances

    # -- form choices ------------------------------------------------------------------------

    def scoped_choices(self, request, model, queryset):
        """`queryset` of `model` limited to what the user may attach rows to."""
        from .models import Branch, Company

        if request.user.is_superuser:
            return queryset
        companies = admin_company_ids(request, ADMIN_WRITE_ROLES)
        if model is Company:
            return queryset.filter(pk__in=companies)
        if model is Branch or any(f.name == "company" for f in model._meta.fields):
            return queryset.filter(company__in=companies)
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Choices are scoped, so staff cannot attach rows to foreign companies."""
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if request.user.is_superuser or field is None:
            return field
        model = db_field.remote_field.model
        field.queryset = self.scoped_choices(request, model, field.queryset)
        if db_field.name in self.raw_id_fields:
            label_queryset = field.queryset
            if model is get_user_model():
                # A new member is picked by id; only users of the same companies are named.
                companies = admin_company_ids(request, ADMIN_VIEW_ROLES)
                label_queryset = model._default_manager.filter(
                    memberships__company__in=companies
                ).distinct()
            field.widget = ScopedRawIdWidget(
                db_field.remote_field,
                self.admin_site,
                queryset=label_queryset,
                using=kwargs.get("using"),
            )
        return field
