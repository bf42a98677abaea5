"""Forms for approvals, information letters and consent. They shape input; the services decide."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Approval, ConsentRecord, InformationLetter, Membership, Study
from cases.services.files import stored_file_check

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PDF_INPUT = forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"})


class PdfUploadField(forms.FileField):
    """An optional PDF, checked by its content before the view writes anything."""

    widget = PDF_INPUT

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            stored_file_check(upload)
        return upload


class ApprovalForm(forms.ModelForm):
    letter_upload = PdfUploadField(
        label=_("Letter (PDF)"),
        help_text=_("The answer or receipt as a PDF. A new file replaces the attached one."),
    )
    conditions_text = forms.CharField(
        label=_("Conditions, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("E.g. “Encrypt recordings on mobile devices”. Each line becomes a checklist item you can tick."),
    )

    class Meta:
        model = Approval
        fields = [
            "kind",
            "state",
            "authority",
            "site",
            "project_number",
            "reference",
            "submitted_on",
            "answered_on",
            "valid_until",
            "notes",
        ]
        widgets = {
            "submitted_on": DATE_WIDGET,
            "answered_on": DATE_WIDGET,
            "valid_until": DATE_WIDGET,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = study.sites.all()
        self.fields["site"].help_text = _("For a gatekeeper's permission: the site it covers.")
        if self.instance.pk and not self.is_bound:
            self.initial["conditions_text"] = "\n".join(c.text for c in self.instance.conditions.all())

    def clean_conditions_text(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["conditions_text"].splitlines()]
        return list(dict.fromkeys(line for line in lines if line))

    def service_fields(self) -> dict:
        """The model fields, apart from the letter and the conditions the service takes separately."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class InformationLetterForm(forms.ModelForm):
    upload = PdfUploadField(label=_("The letter (PDF)"), help_text=_("A new file replaces the attached one."))
    promised_roles = forms.MultipleChoiceField(
        label=_("Roles the letter names as having access"),
        choices=Membership.Role.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("The overview flags anyone with access in a role the letter does not name."),
    )

    class Meta:
        model = InformationLetter
        fields = ["version", "dated", "promised_access", "promised_roles", "promised_storage", "promised_deletion"]
        widgets = {
            "dated": DATE_WIDGET,
            "promised_deletion": DATE_WIDGET,
            "promised_access": forms.Textarea(attrs={"rows": 2}),
            "promised_storage": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.study = study

    def clean_version(self) -> str:
        version = self.cleaned_data["version"].strip()
        taken = InformationLetter.objects.filter(study=self.study, version__iexact=version).exclude(pk=self.instance.pk)
        if version and taken.exists():
            raise ValidationError(_("The study already has a letter version “%(version)s”.") % {"version": version})
        return version

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ConsentForm(forms.ModelForm):
    """A new consent version. Consent is never edited: each save appends a record."""

    signed_form = PdfUploadField(label=_("Signed consent form (PDF)"))

    class Meta:
        model = ConsentRecord
        fields = [
            "letter",
            "mode",
            "given_on",
            "covers_interview",
            "covers_recording",
            "covers_observation",
            "covers_quotes",
            "notes",
        ]
        widgets = {
            "mode": forms.RadioSelect,
            "given_on": DATE_WIDGET,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "given_on": _("Required for oral consent. Leave empty while consent is still pending."),
            "notes": _("No names or contact details."),
        }

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["letter"].queryset = study.information_letters.all()
        self.fields["letter"].empty_label = _("(no letter version recorded)")

    def clean(self):
        # Oral consent without a date is refused by the model's own validation.
        cleaned = super().clean()
        given = cleaned.get("given_on")
        if given and given > timezone.localdate():
            self.add_error("given_on", _("The date cannot be in the future."))
        return cleaned

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ConsentWithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label=_("Withdrawn on"), widget=DATE_WIDGET)

    def clean_withdrawn_on(self):
        withdrawn = self.cleaned_data["withdrawn_on"]
        if withdrawn > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        return withdrawn
