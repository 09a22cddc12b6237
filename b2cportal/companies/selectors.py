"""Reads about companies and who may see them. Every tenant-scoped query starts here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .models import Branch, Company, Membership


def companies_visible_to(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Company]:
    """Companies the user is a member of. Superusers are no exception in the web screens."""
    if not user.is_authenticated:
        return Company.objects.none()
    return Company.objects.filter(memberships__user=user)


def memberships_of(*, user: AbstractBaseUser) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user).select_related("company").order_by("company__name")
    )


def branches_of(*, company: Company) -> QuerySet[Branch]:
    return Branch.objects.filter(company=company).order_by("-is_main_office", "branch_id")
