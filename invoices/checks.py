"""System checks for what documents need: the PDF font files and the e-invoice rules."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register()
def check_pdf_fonts(app_configs, **kwargs):
    """Every PDF embeds DejaVu Sans; without the files no invoice can be printed or emailed."""
    from .pdf import font_paths

    missing = [str(path) for path in font_paths().values() if not path.is_file()]
    if not missing:
        return []
    return [
        Error(
            f"PDF font files are missing: {', '.join(missing)}.",
            hint="Run `make fonts` (Debian fonts-dejavu-core) or set PDF_FONT_DIR.",
            id="invoices.E001",
        )
    ]


@register(Tags.security, deploy=True)
def check_einvoice_rules(app_configs, **kwargs):
    """Production validates against the official rules; XSD-only is an explicit, loud opt-out.

    Without EINVOICE_RULES_DIR release refuses with a clear message (fails closed), so only the
    opt-out and a configured directory that lacks the stylesheets are warned about.
    """
    from .validation import CEN_STYLESHEET, PEPPOL_STYLESHEET, rules_dir

    messages = []
    if settings.EINVOICE_ALLOW_XSD_ONLY:
        messages.append(
            Warning(
                "EINVOICE_ALLOW_XSD_ONLY is on: invoices may be released after an XSD check "
                "only, without the EN 16931 and Peppol rules receivers apply.",
                hint="Set EINVOICE_RULES_DIR to the compiled rules and turn the setting off.",
                id="invoices.W001",
            )
        )
    directory = rules_dir()
    if directory is None:
        return messages
    missing = [
        name for name in (CEN_STYLESHEET, PEPPOL_STYLESHEET) if not (directory / name).is_file()
    ]
    if missing:
        messages.append(
            Warning(
                f"EINVOICE_RULES_DIR ({directory}) lacks {', '.join(missing)}: releases will fail.",
                id="invoices.W002",
            )
        )
    return messages
