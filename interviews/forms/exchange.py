"""The upload on the Exchange page: a REFI-QDA project (.qdpx) or codebook (.qdc)."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interviews.refi.archive import MAX_UPLOAD_BYTES

EXTENSIONS = (".qdpx", ".qdc")


class ExchangeImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("REFI-QDA file"),
        help_text=gettext_lazy(
            "A project (.qdpx) exported from NVivo, ATLAS.ti, MAXQDA, QDA Miner, Transana or this workbench, "
            "or a codebook (.qdc)."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith(EXTENSIONS):
            raise forms.ValidationError(_("Choose a .qdpx project or a .qdc codebook file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s.") % {"size": filesizeformat(MAX_UPLOAD_BYTES)}
            )
        return upload

    @property
    def kind(self) -> str:
        return "qdc" if self.cleaned_data["file"].name.lower().endswith(".qdc") else "qdpx"


class NewStudyImportForm(ExchangeImportForm):
    title = forms.CharField(
        label=gettext_lazy("Title of the new study"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Leave empty to use the project's name."),
    )

    def clean_file(self):
        upload = super().clean_file()
        if upload.name.lower().endswith(".qdc"):
            raise forms.ValidationError(
                _("A codebook (.qdc) is imported into an existing study: open the study's Exchange page.")
            )
        return upload
