from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from b2cportal import identifiers

from . import rules, selectors, services
from .forms import (
    AltinnSettingsForm,
    AutoInvoiceSettingsForm,
    CompanyDetailsForm,
    CompanySettingsForm,
    LedgerPreferencesForm,
    NorwayActivationForm,
    OperatorConnectionForm,
    ReceivingAccountForm,
    SwedenActivationForm,
)
from .middleware import SESSION_BRANCH_KEY, SESSION_COMPANY_KEY
from .models import SwedenActivationStatus
from .permissions import ADMINISTRATORS, company_member_required
from .services import CompanyError, TermsLinkError


@company_member_required()
def home(request):
    return render(request, "home.html")


def _back(request):
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@login_required
@require_POST
def switch_company(request):
    """Make another of the user's companies current; unknown ids are refused, not trusted."""
    wanted = request.POST.get("company")
    membership = next((m for m in request.memberships if str(m.company_id) == wanted), None)
    if membership is None:
        messages.error(request, _("You do not have access to that company."))
        return _back(request)
    request.session[SESSION_COMPANY_KEY] = membership.company_id
    request.session.pop(SESSION_BRANCH_KEY, None)
    messages.success(request, _("Current company: %(name)s") % {"name": membership.company.name})
    return redirect("home")


@login_required
@require_POST
def switch_branch(request):
    wanted = request.POST.get("branch")
    branch = next((b for b in request.branches if str(b.pk) == wanted), None)
    if branch is None:
        messages.error(request, _("That branch does not belong to the current company."))
        return _back(request)
    request.session[SESSION_BRANCH_KEY] = branch.pk
    messages.success(request, _("Current branch: %(name)s") % {"name": str(branch)})
    return _back(request)


# --- Settings: AutoInvoice (CS10250S), activation, ledger preferences, Altinn -------------------
# Everyone in the company reads these screens; only administrators change anything (POST by
# anyone else is a 403, and their pages show values, not forms).


def _readonly_rows(form) -> list[tuple[str, str]]:
    """Label and display value of each field, for users who may only read."""
    rows = []
    for name, field in form.fields.items():
        value = form.initial.get(name, getattr(form.instance, name, None))
        if isinstance(field, forms.BooleanField):
            shown = _("Yes") if value else _("No")
        elif getattr(field, "choices", None):
            shown = dict(field.choices).get(value, value)
        else:
            shown = value if value not in (None, "") else "-"
        rows.append((field.label, shown))
    return rows


def _apply_error(form, exc: CompanyError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _no_branch(request):
    return render(request, "companies/no_branch.html", status=404)


def _save_settings_form(request, form, save, *, success: str) -> bool:
    """The one save branch of every settings form: validate, call the service, show the result.

    `save(changes)` calls the service; a refusal lands on its field. True when it was saved.
    """
    if not form.is_valid():
        return False
    try:
        save({name: form.cleaned_data[name] for name in form.fields})
    except CompanyError as exc:
        _apply_error(form, exc)
        return False
    messages.success(request, success)
    return True


def _autoinvoice_page(request, *, form=None, activation_form=None, status=200):
    branch = request.branch
    company = request.company
    can_edit = request.membership.can_edit_settings
    if form is None:
        form = AutoInvoiceSettingsForm(
            instance=selectors.autoinvoice_settings_of(branch=branch), company=company
        )
    norway = selectors.norway_activation_of(branch=branch) if company.is_norwegian else None
    sweden = selectors.sweden_activation_of(branch=branch) if company.is_swedish else None
    if activation_form is None and norway is not None:
        activation_form = NorwayActivationForm(
            initial={"signer_name": norway.signer_name, "signer_email": norway.signer_email}
        )
    context = {
        "form": form,
        "readonly_rows": None if can_edit else _readonly_rows(form),
        "can_edit": can_edit,
        "norway": norway,
        "capture_bban": (
            identifiers.format_bban(norway.capture_bban)
            if norway is not None and norway.capture_bban
            else ""
        ),
        "sweden": sweden,
        "activation_form": activation_form,
        "show_activation_modal": activation_form is not None and activation_form.is_bound,
        "history": selectors.settings_history(
            company=company, branch=branch, prefixes=("autoinvoice", "b2cno", "b2cse")
        ),
    }
    return render(request, "companies/autoinvoice_settings.html", context, status=status)


@company_member_required()
def autoinvoice_settings(request):
    """AutoInvoice settings (CS10250S) of the current branch."""
    if request.branch is None:
        return _no_branch(request)
    if request.method != "POST":
        return _autoinvoice_page(request)
    if not request.membership.can_edit_settings:
        raise PermissionDenied
    form = AutoInvoiceSettingsForm(
        request.POST,
        instance=selectors.autoinvoice_settings_of(branch=request.branch),
        company=request.company,
    )
    saved = _save_settings_form(
        request,
        form,
        lambda changes: services.update_autoinvoice_settings(
            branch=request.branch, acting_user=request.user, changes=changes
        ),
        success=_("The AutoInvoice settings were saved.")
        if request.company.is_norwegian
        else _("The Maventa settings were saved."),
    )
    if saved:
        return redirect("companies:autoinvoice")
    return _autoinvoice_page(request, form=form, status=400)


@require_POST
@company_member_required(roles=ADMINISTRATORS)
def b2cno_activate(request):
    """The *Activate* dialog's OK: email the signer the terms of service."""
    if request.branch is None:
        return _no_branch(request)
    form = NorwayActivationForm(request.POST)
    if form.is_valid():
        try:
            services.request_norway_activation(
                branch=request.branch,
                acting_user=request.user,
                language=translation.get_language(),
                **form.cleaned_data,
            )
        except CompanyError as exc:
            _apply_error(form, exc)
        else:
            messages.success(
                request,
                _("An email with a link to accept the terms of service was sent to %(email)s.")
                % {"email": form.cleaned_data["signer_email"]},
            )
            return redirect("companies:autoinvoice")
    return _autoinvoice_page(request, activation_form=form, status=400)


@require_POST
@company_member_required(roles=ADMINISTRATORS)
def b2cno_resend(request):
    if request.branch is None:
        return _no_branch(request)
    try:
        activation = services.resend_terms_email(
            branch=request.branch, acting_user=request.user, language=translation.get_language()
        )
    except CompanyError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The email was sent again to %(email)s. Earlier links no longer work.")
            % {"email": activation.signer_email},
        )
    return redirect("companies:autoinvoice")


@require_POST
@company_member_required(roles=ADMINISTRATORS)
def b2cno_deactivate(request):
    """Confirmed *Deactivate*: queued for the network; the page shows it being sent."""
    if request.branch is None:
        return _no_branch(request)
    try:
        services.deactivate_norway_service(branch=request.branch, acting_user=request.user)
    except CompanyError as exc:
        messages.error(request, exc.message)
    return redirect("companies:autoinvoice")


def _in_flight(request) -> bool:
    """Whether a click of this branch's administrators still waits for the network."""
    branch, company = request.branch, request.company
    if branch is None:
        return False
    if company.is_norwegian:
        norway = selectors.norway_activation_of(branch=branch)
        return norway.is_being_sent or norway.is_being_deactivated or norway.is_being_checked
    if company.is_swedish:
        sweden = selectors.sweden_activation_of(branch=branch)
        return (
            sweden.is_being_sent
            or sweden.is_being_checked
            or (bool(sweden.pk) and sweden.receiving_accounts.filter(confirmed=False).exists())
        )
    return False


@require_GET
@company_member_required()
def activation_status(request):
    """Polled by the settings pages while a click waits for the network (an activation or
    deactivation being sent, a status being checked, an account being added)."""
    return JsonResponse({"finished": not _in_flight(request)})


@require_POST
@company_member_required(roles=ADMINISTRATORS)
def refresh_activation(request):
    """*Check status now*: queue the question; the page says it is asking and updates."""
    if request.branch is None:
        return _no_branch(request)
    activation = (
        selectors.norway_activation_of(branch=request.branch)
        if request.company.is_norwegian
        else selectors.sweden_activation_of(branch=request.branch)
    )
    if activation.pk:
        services.request_status_check(activation=activation)
    back = request.POST.get("next_view")
    return redirect(
        back if back in ("companies:autoinvoice", "companies:b2cse") else "companies:autoinvoice"
    )


def _b2cse_page(request, *, form=None, account_form=None, name_error="", status=200):
    branch = request.branch
    activation = selectors.sweden_activation_of(branch=branch)
    can_edit = request.membership.can_edit_settings
    if form is None:
        # After a refusal the form shows the refused details again.
        refused = (activation.pending_submission or {}).get("fields") if activation.pk else None
        form = SwedenActivationForm(
            company=request.company,
            initial=refused if refused and not activation.is_being_sent else None,
        )
    if not name_error and activation.refused_field == "company_name":
        name_error = activation.error
    if account_form is None:
        account_form = ReceivingAccountForm()
    context = {
        "activation": activation,
        # The register-name refusal, shown once with a link to correct the company name.
        "name_error": name_error,
        "form": form,
        "account_form": account_form,
        "can_edit": can_edit,
        "accounts": list(activation.receiving_accounts.filter(confirmed=True))
        if activation.pk
        else [],
        # Held for the network: shown as being added until it confirms them.
        "accounts_being_added": list(activation.receiving_accounts.filter(confirmed=False))
        if activation.pk
        else [],
        "max_accounts": rules.MAX_ACCOUNTS_PER_FUI,
        # Only while waiting: a word the network sent that we cannot read, shown as it came.
        "unknown_status": selectors.unknown_network_status(branch=branch)
        if activation.status == SwedenActivationStatus.PENDING
        else "",
        "history": selectors.settings_history(
            company=request.company, branch=branch, prefixes=("b2cse",)
        ),
    }
    return render(request, "companies/b2cse.html", context, status=status)


@company_member_required()
def b2cse(request):
    """B2CSE activation (Sweden) of the current branch."""
    if request.branch is None:
        return _no_branch(request)
    if not request.company.is_swedish:
        raise Http404
    if request.method != "POST":
        return _b2cse_page(request)
    if not request.membership.can_edit_settings:
        raise PermissionDenied
    form = SwedenActivationForm(request.POST, company=request.company)
    name_error = ""
    if form.is_valid():
        try:
            services.submit_sweden_activation(
                branch=request.branch, acting_user=request.user, **form.cleaned_data
            )
        except CompanyError as exc:
            if exc.field == "company_name":
                name_error = exc.message
            else:
                _apply_error(form, exc)
        else:
            return redirect("companies:b2cse")
    return _b2cse_page(request, form=form, name_error=name_error, status=400)


@require_POST
@company_member_required(roles=ADMINISTRATORS)
def b2cse_add_account(request):
    if request.branch is None:
        return _no_branch(request)
    if not request.company.is_swedish:
        raise Http404
    form = ReceivingAccountForm(request.POST)
    if form.is_valid():
        try:
            services.add_receiving_account(
                branch=request.branch, acting_user=request.user, **form.cleaned_data
            )
        except CompanyError as exc:
            _apply_error(form, exc)
        else:
            return redirect("companies:b2cse")
    return _b2cse_page(request, account_form=form, status=400)


def _settings_form_page(
    request,
    *,
    form_class,
    form_kwargs: dict,
    save,
    success: str,
    redirect_to: str,
    template: str,
    history_prefix: str,
    extra_context: dict | None = None,
):
    """One company-wide settings form: administrators edit it, everyone else reads it, and its
    changes are listed from the audit trail. `save(changes)` calls the service."""
    can_edit = request.membership.can_edit_settings
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = form_class(request.POST, **form_kwargs)
        if _save_settings_form(request, form, save, success=success):
            return redirect(redirect_to)
        status = 400
    else:
        form = form_class(**form_kwargs)
    context = {
        "form": form,
        "can_edit": can_edit,
        "readonly_rows": None if can_edit else _readonly_rows(form),
        "history": selectors.settings_history(company=request.company, prefixes=(history_prefix,)),
        **(extra_context or {}),
    }
    return render(request, template, context, status=status)


@company_member_required()
def ledger_preferences(request):
    """Customer ledger preferences (AR101000), tab AutoInvoice settings, for the company."""
    company = request.company
    return _settings_form_page(
        request,
        form_class=LedgerPreferencesForm,
        form_kwargs={
            "instance": selectors.ledger_preferences_of(company=company),
            "multi_branch": len(request.branches) > 1,
            "norwegian": company.is_norwegian,
        },
        save=lambda changes: services.update_ledger_preferences(
            company=company, acting_user=request.user, changes=changes
        ),
        success=_("The customer ledger preferences were saved."),
        redirect_to="companies:ledger",
        template="companies/ledger_preferences.html",
        history_prefix="ledger",
    )


@company_member_required()
def company_details(request):
    """The company's name and address; administrators correct them (e.g. to match the national
    register, which B2CSE activation checks), others read them."""
    company = request.company
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("companies:company")
    return _settings_form_page(
        request,
        form_class=CompanyDetailsForm,
        form_kwargs={"instance": company},
        save=lambda changes: services.update_company_details(
            company=company, acting_user=request.user, changes=changes
        ),
        success=_("The company details were saved."),
        redirect_to=target,
        template="companies/company.html",
        history_prefix="company",
        extra_context={"next": request.GET.get("next", "")},
    )


@company_member_required()
def company_settings(request):
    """What the company's documents state: VAT registration, Foretaksregisteret / F-skatt, and
    the account customers pay into with its type."""
    company = request.company
    return _settings_form_page(
        request,
        form_class=CompanySettingsForm,
        form_kwargs={"instance": company, "company": company},
        save=lambda changes: services.update_company_facts(
            company=company, acting_user=request.user, changes=changes
        ),
        success=_("The company details were saved."),
        redirect_to="companies:company_documents",
        template="companies/company_settings.html",
        history_prefix="company",
    )


@company_member_required()
def branch_list(request):
    """Branches (CS102000) of the current company."""
    return render(
        request,
        "companies/branch_list.html",
        {"branches": selectors.branches_of(company=request.company)},
    )


@company_member_required()
def branch_altinn(request, pk: int):
    """Branches (CS102000), tab Altinn settings: the RF-1301 contact of one branch."""
    branch = get_object_or_404(selectors.branches_of(company=request.company), pk=pk)
    if not request.company.is_norwegian:
        raise Http404  # Altinn is Norwegian; a Swedish company has no RF-1301 contact
    can_edit = request.membership.can_edit_settings
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = AltinnSettingsForm(
            request.POST, instance=selectors.branches_of(company=request.company).get(pk=pk)
        )
        saved = _save_settings_form(
            request,
            form,
            lambda changes: services.update_altinn_settings(
                branch=branch, acting_user=request.user, changes=changes
            ),
            success=_("The Altinn settings were saved."),
        )
        if saved:
            return redirect("companies:branch_altinn", pk=branch.pk)
        status = 400
    else:
        form = AltinnSettingsForm(instance=branch)
    context = {
        "branch": branch,
        "form": form,
        "can_edit": can_edit,
        "readonly_rows": None if can_edit else _readonly_rows(form),
        "history": selectors.settings_history(
            company=request.company, branch=branch, prefixes=("altinn",)
        ),
    }
    return render(request, "companies/branch_altinn.html", context, status=status)


# --- Terms of service acceptance (public: the signer may have no login) -------------------------


def accept_terms(request, token: str):
    """The link from the terms email. GET shows the terms; POST accepts them (once)."""
    try:
        activation = services.read_terms_link(token)
    except TermsLinkError as exc:
        return render(
            request,
            "companies/terms_link_error.html",
            {"error": exc.message, "reason": exc.reason},
            status=410 if exc.reason in ("expired", "used") else 400,
        )
    if request.method == "POST":
        try:
            services.accept_terms(token=token)
        except TermsLinkError as exc:
            return render(
                request,
                "companies/terms_link_error.html",
                {"error": exc.message, "reason": exc.reason},
                status=410,
            )
        # Read again: the submission may already have reached the network (a fast worker).
        activation = selectors.norway_activation_of(branch=activation.branch)
        return render(request, "companies/terms_accepted.html", {"activation": activation})
    return render(request, "companies/terms.html", {"activation": activation})


# --- Operator connection (AutoInvoice / Maventa AutoXChange REST API) ---------------------------


def _operator_page(request, *, form=None, status=200):
    connection = selectors.operator_connection_of(company=request.company)
    can_edit = request.membership.role in ADMINISTRATORS
    if form is None and can_edit:
        initial = {}
        if connection is not None:
            initial = {
                "environment": connection.environment,
                "company_uuid": connection.company_uuid,
            }
        form = OperatorConnectionForm(initial=initial, has_key=connection is not None)
    context = {
        "form": form if can_edit else None,
        "can_edit": can_edit,
        "connection": connection,
        "adapter_is_operator": settings.NETWORK_ADAPTER == "maventa",
        "history": selectors.settings_history(company=request.company, prefixes=("operator",)),
    }
    return render(request, "companies/operator_connection.html", context, status=status)


@company_member_required()
def operator_connection(request):
    """Settings -> Operator connection: administrators edit; everyone else reads (POST: 403)."""
    if request.method != "POST":
        return _operator_page(request)
    if request.membership.role not in ADMINISTRATORS:
        raise PermissionDenied
    connection = selectors.operator_connection_of(company=request.company)
    form = OperatorConnectionForm(request.POST, has_key=connection is not None)
    if form.is_valid():
        try:
            services.save_operator_connection(
                company=request.company, acting_user=request.user, **form.cleaned_data
            )
        except CompanyError as exc:
            _apply_error(form, exc)
        else:
            messages.success(
                request, _("The operator connection was saved. Test it to check the key.")
            )
            return redirect("companies:operator")
    return _operator_page(request, form=form, status=400)


@require_POST
@company_member_required(roles=ADMINISTRATORS)
def operator_connection_test(request):
    """Ask the operator for a token and who we are; show its answer in words."""
    try:
        result = services.check_operator_connection(
            company=request.company, acting_user=request.user
        )
    except CompanyError as exc:
        messages.error(request, exc.message)
    else:
        (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("companies:operator")
