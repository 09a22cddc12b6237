from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MAX_ROWS

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".csv,.xml,text/csv"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ImportForm(forms.Form):
    files = MultipleFileField(  # type: ignore[assignment]  # a field named like BaseForm.files
        label=_("Files"),
        help_text=_(
            "One CSV file, or up to 10 000 UBL / EHF invoice and credit note files (.xml)."
        ),
    )
    release = forms.BooleanField(label=_("Release the invoices"), required=False, initial=True)
    send = forms.BooleanField(label=_("Send them (release first)"), required=False)

    def clean_files(self):
        files = self.cleaned_data["files"]
        if sum(f.size for f in files) > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The upload is larger than 50 MB."))
        names = [f.name.lower() for f in files]
        csvs = [n for n in names if n.endswith(".csv")]
        xmls = [n for n in names if n.endswith(".xml")]
        if len(csvs) + len(xmls) != len(names):
            raise forms.ValidationError(_("Upload .csv or .xml files only."))
        if csvs and (xmls or len(csvs) > 1):
            raise forms.ValidationError(_("Upload one CSV file, or XML files, not both."))
        if len(xmls) > MAX_ROWS:
            raise forms.ValidationError(_("At most 10 000 files at once."))
        return files

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("send") and not data.get("release"):
            self.add_error("send", _("Only released invoices can be sent: choose release as well."))
        return data
