"""`{% load invoice_format %}`: `{{ amount|money }}` and `{{ quantity|number }}` in the locale."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from invoices.formatting import format_money, format_number, number_formatter
from invoices.models import Unit
from invoices.vat import vat_label

register = template.Library()


@register.filter
def money(value) -> str:
    return format_money(value)


@register.filter
def number(value) -> str:
    return format_number(value)


@register.simple_tag
def vat_name(country: str, category: str, rate) -> str:
    """`{% vat_name invoice.company.country line.vat_category line.vat_rate %}`."""
    return vat_label(country, category, rate)


@register.simple_tag
def credit_rows(form) -> SafeString:
    """The credit-note page's rows, one input per invoice line, built in one pass.

    A template loop over thousands of lines (about ten lookups and two localised numbers per
    row) took seconds; this builds the same markup with every text escaped.
    """
    fmt = number_formatter()
    parts = []
    for row in form.line_rows:
        line, name, error = row["line"], row["name"], row["error"]
        invalid = " is-invalid" if error else ""
        feedback = (
            f'<div class="invalid-feedback d-block" data-testid="credit-line-error">'
            f"{escape(error)}</div>"
            if error
            else ""
        )
        parts.append(
            f"<tr><td>{line.position}</td>"
            f'<td><label for="id_{name}">{escape(line.description)}</label></td>'
            f'<td class="text-end">{fmt(line.quantity)}</td>'
            f'<td class="text-end">{fmt(row["left"])}</td>'
            f'<td><input type="text" inputmode="decimal" name="{name}" id="id_{name}" '
            f'value="{escape(row["value"])}" class="form-control form-control-sm{invalid}" '
            f'data-testid="credit-quantity">{feedback}</td></tr>'
        )
    # Every text above is escaped; the rest is fixed markup, ids and numbers.
    return mark_safe("\n".join(parts))


def _options(field) -> list[tuple[str, str]]:
    return [(str(value), escape(str(label))) for value, label in field.choices]


def _select(name: str, options: list[tuple[str, str]], current: str) -> str:
    body = "".join(
        f'<option value="{escape(value)}"{" selected" if value == current else ""}>{label}</option>'
        for value, label in options
    )
    return f'<select name="{name}" id="id_{name}">{body}</select>'


@register.simple_tag
def line_rows(formset) -> SafeString:
    """The invoice form's line rows (`includes/_line_row.html` markup), built in one pass.

    Rendering 500 lines x 8 widgets through the widget templates took seconds; this writes the
    same inputs (names, ids, values, errors) with every text escaped. The empty row for
    *Add line* still comes from the template.
    """
    forms = list(formset)
    if not forms:
        return mark_safe("")
    first = forms[0].fields
    options = {name: _options(first[name]) for name in ("unit", "vat_category", "vat_rate")}
    labels = {
        "description": escape(first["description"].label),
        "exemption_reason": escape(first["exemption_reason"].label),
    }

    def errors(form, name: str, testid: bool = False, label: str = "") -> str:
        found = form.errors.get(name) if form.is_bound else None
        if not found:
            return ""
        attr = ' data-testid="line-error"' if testid else ""
        prefix = f"{label}: " if label else ""
        return "".join(
            f'<div class="invalid-feedback d-block"{attr}>{prefix}{escape(e)}</div>' for e in found
        )

    def value(form, name: str) -> str:
        raw = form[name].value()
        return "" if raw is None else str(raw)

    parts = []
    for form in forms:
        name = form.add_prefix
        non_field = "".join(
            f'<div class="invalid-feedback d-block">{escape(e)}</div>'
            for e in (form.non_field_errors() if form.is_bound else [])
        )
        checked = " checked" if form.is_bound and form["DELETE"].value() else ""
        category = _select(
            name("vat_category"), options["vat_category"], value(form, "vat_category")
        )
        parts.append(
            '<tr class="line-row" data-testid="line-row">'
            f'<td><input type="text" name="{name("description")}" id="id_{name("description")}" '
            f'maxlength="500" value="{escape(value(form, "description"))}">'
            f"{errors(form, 'description', True, labels['description'])}{non_field}</td>"
            f'<td><input type="number" name="{name("quantity")}" id="id_{name("quantity")}" '
            f'step="0.001" value="{escape(value(form, "quantity"))}">'
            f"{errors(form, 'quantity')}</td>"
            f"<td>{_select(name('unit'), options['unit'], value(form, 'unit'))}</td>"
            f'<td><input type="number" name="{name("unit_price")}" id="id_{name("unit_price")}" '
            f'step="0.01" value="{escape(value(form, "unit_price"))}">'
            f"{errors(form, 'unit_price')}</td>"
            f"<td>{category}</td>"
            f"<td>{_select(name('vat_rate'), options['vat_rate'], value(form, 'vat_rate'))}"
            f"{errors(form, 'vat_rate')}</td>"
            f'<td><input type="text" name="{name("exemption_reason")}" '
            f'id="id_{name("exemption_reason")}" maxlength="300" '
            f'value="{escape(value(form, "exemption_reason"))}">'
            f"{errors(form, 'exemption_reason', True, labels['exemption_reason'])}</td>"
            '<td class="text-end line-amount">0.00</td>'
            f'<td><input type="checkbox" name="{name("DELETE")}" id="id_{name("DELETE")}"'
            f"{checked}></td></tr>"
        )
    # Every text above is escaped; the rest is fixed markup, names and ids.
    return mark_safe("\n".join(parts))


@register.simple_tag
def invoice_line_rows(invoice, lines) -> SafeString:
    """The invoice page's line table body, built in one pass (fast for thousands of lines)."""
    number, money = number_formatter(), number_formatter(decimal_pos=2)
    units = {code: escape(str(label)) for code, label in Unit.choices}
    names: dict[tuple[str, object], str] = {}
    country = invoice.company.country
    parts = []
    for line in lines:
        key = (line.vat_category, line.vat_rate)
        if key not in names:
            names[key] = escape(vat_label(country, line.vat_category, line.vat_rate))
        reason = (
            f'<div class="small text-muted">{escape(line.exemption_reason)}</div>'
            if line.exemption_reason
            else ""
        )
        parts.append(
            f"<tr><td>{line.position}</td><td>{escape(line.description)}{reason}</td>"
            f'<td class="text-end">{number(line.quantity)}</td>'
            f"<td>{units.get(line.unit, escape(line.unit))}</td>"
            f'<td class="text-end">{money(line.unit_price)}</td><td>{names[key]}</td>'
            f'<td class="text-end">{number(line.vat_rate)} %</td>'
            f'<td class="text-end">{money(line.line_total)}</td></tr>'
        )
    # Every text above is escaped; the rest is fixed markup and formatted numbers.
    return mark_safe("".join(parts))
