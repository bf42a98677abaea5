from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.models import Informant, Study, User
from interviews import importers
from interviews.forms.fieldwork import MemberChoiceField
from interviews.models import Session, Source, SpeakerLabel


class SessionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Session) -> str:
        return str(obj)


class TextInputForm(forms.Form):
    """A text given as an uploaded file or pasted; ``imported`` holds the result after validation.

    Reading happens here because it only shapes input: the service receives text
    that is already normalised and checked.
    """

    upload = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("A .txt, .docx, .odt or text-based PDF file. The type is checked by its content."),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding of a .txt file"),
        choices=importers.ENCODING_CHOICES,
        initial="auto",
        help_text=_("Leave on “Detect automatically” unless æ, ø and å came out wrong."),
    )
    pasted = forms.CharField(
        label=_("Or paste the text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
    )

    # When both are given: True reads the file (the textarea holds the current text), False refuses.
    file_wins = False
    imported: importers.ImportedText | None = None

    def clean(self):
        cleaned = super().clean()
        upload, pasted = cleaned.get("upload"), cleaned.get("pasted") or ""
        if upload and pasted.strip() and not self.file_wins:
            raise ValidationError(_("Either upload a file or paste the text, not both."))
        try:
            if upload:
                self.imported = importers.read_upload(upload, encoding=cleaned.get("encoding") or "auto")
            elif pasted.strip():
                self.imported = importers.read_pasted(pasted)
            else:
                raise ValidationError(_("Upload a file or paste the text."), code="empty")
        except ValidationError as error:
            self.add_error("upload" if upload else "pasted", error)
        return cleaned


class SourceCreateForm(TextInputForm):
    title = forms.CharField(label=_("Title"), max_length=200, help_text=_("E.g. “Fokusgruppe 1 – transkripsjon”."))
    kind = forms.ChoiceField(label=_("Kind"), choices=Source.Kind.choices, initial=Source.Kind.TRANSCRIPT)
    session = SessionChoiceField(
        label=_("Session"),
        queryset=Session.objects.none(),
        required=False,
        help_text=_("Leave empty for a document that belongs to the whole study."),
    )
    observer = MemberChoiceField(
        label=_("Observer"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("For field notes: whose notes these are."),
    )

    field_order = ["title", "kind", "session", "observer", "upload", "encoding", "pasted"]

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = Session.objects.filter(study=study).order_by("code")
        self.fields["observer"].queryset = User.objects.filter(memberships__study=study).order_by("full_name", "email")

    def metadata(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("title", "kind", "session", "observer")}


class SourceEditForm(forms.ModelForm):
    observer = MemberChoiceField(label=_("Observer"), queryset=User.objects.none(), required=False)

    class Meta:
        model = Source
        fields = ["title", "kind", "session", "observer"]
        field_classes = {"session": SessionChoiceField}

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = Session.objects.filter(study=study).order_by("code")
        self.fields["observer"].queryset = User.objects.filter(memberships__study=study).order_by("full_name", "email")
        self.fields["observer"].help_text = _("For field notes: whose notes these are.")


class SourceNormaliseForm(forms.Form):
    text = forms.CharField(label=_("Text"), strip=False, widget=forms.Textarea(attrs={"rows": 24}))
    description = forms.CharField(
        label=_("What was changed"),
        max_length=300,
        help_text=_("E.g. “dialect to bokmål”, “identifying tics removed”. Kept in the edit log."),
    )


class SourceNewVersionForm(TextInputForm):
    file_wins = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pasted"].label = _("Corrected text")
        self.fields["pasted"].widget.attrs["rows"] = 24
        self.fields["upload"].label = _("Or upload a corrected file")
        self.fields["upload"].help_text = _("When a file is chosen, the text box is ignored.")


class SourceFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All kinds")), *Source.Kind.choices], required=False)
    session = SessionChoiceField(
        label=_("Session"),
        queryset=Session.objects.none(),
        required=False,
        empty_label=_("All sessions"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),  # as the kind's beside it
    )

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = Session.objects.filter(study=study).order_by("code")


MODERATOR, UNIDENTIFIED = SpeakerLabel.Role.MODERATOR.value, SpeakerLabel.Role.UNIDENTIFIED.value


class SpeakerMappingForm(forms.Form):
    """One choice per label: the moderator, unidentified, or one of the study's informants (``informant:<pk>``)."""

    def __init__(self, *args, labels: list[SpeakerLabel], informants: list[Informant], **kwargs):
        super().__init__(*args, **kwargs)
        self.labels = labels
        self.informants = {informant.pk: informant for informant in informants}
        choices = [
            (MODERATOR, _("Moderator / interviewer")),
            (UNIDENTIFIED, _("Unidentified")),
            (_("Informants"), [(f"informant:{informant.pk}", informant.code) for informant in informants]),
        ]
        for label in labels:
            self.fields[self.field_name(label)] = forms.ChoiceField(
                label=label.label,
                choices=choices,
                initial=self.value_of(label),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    @staticmethod
    def field_name(label: SpeakerLabel) -> str:
        return f"label_{label.pk}"

    @staticmethod
    def value_of(label: SpeakerLabel) -> str:
        if label.role == SpeakerLabel.Role.INFORMANT and label.informant_id:
            return f"informant:{label.informant_id}"
        if label.role == SpeakerLabel.Role.MODERATOR:
            return MODERATOR
        return UNIDENTIFIED

    def rows(self) -> list[tuple[SpeakerLabel, forms.BoundField]]:
        return [(label, self[self.field_name(label)]) for label in self.labels]

    def mappings(self) -> list[tuple[SpeakerLabel, str, Informant | None]]:
        result = []
        for label in self.labels:
            value = self.cleaned_data[self.field_name(label)]
            if value.startswith("informant:"):
                result.append((label, SpeakerLabel.Role.INFORMANT, self.informants[int(value.split(":", 1)[1])]))
            else:
                result.append((label, value, None))
        return result
