"""Forms of the coding view: they shape the posted offsets and ids; the services decide."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cases.models import Informant, Study
from interviews.models import Excerpt


class IdListField(forms.Field):
    """Several ``name=12&name=15`` values as a list of ints (the ids are checked by the service)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            return list(dict.fromkeys(int(item) for item in value))
        except (TypeError, ValueError):
            raise ValidationError(_("The chosen codes are not valid."), code="invalid") from None


class SelectionForm(forms.Form):
    """A stretch of the source as the browser saw it: Python string indices and the text between them."""

    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=1)
    text = forms.CharField(strip=False, max_length=1_000_000)

    def clean(self):
        data = super().clean()
        if data.get("start") is not None and data.get("end") is not None and data["end"] <= data["start"]:
            raise ValidationError(_("Select some text first."))
        return data


class ExcerptCreateForm(SelectionForm):
    source = forms.IntegerField(min_value=1)
    code = IdListField(required=False)
    in_vivo = forms.BooleanField(required=False, help_text=_("Also make a new code named after the selected words."))
    parent = forms.IntegerField(required=False, min_value=1)

    def clean(self):
        data = super().clean()
        if not data.get("code") and not data.get("in_vivo"):
            raise ValidationError(_("Choose at least one code, or make a new code from the selection."))
        return data


class CodeChoiceForm(forms.Form):
    code = forms.IntegerField(min_value=1)


class ExcerptDetailForm(forms.ModelForm):
    speakers = forms.ModelMultipleChoiceField(
        queryset=Informant.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Speakers"),
        help_text=_("Derived from the speaker turns. Change them to override; “Reset to derived” undoes the override."),
    )
    corroborates = forms.ModelMultipleChoiceField(
        queryset=Excerpt.objects.none(),
        required=False,
        label=_("Corroborated by"),
        help_text=_(
            "Other excerpts that say the same thing, from another informant or source. Search below to add one."
        ),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Excerpt
        fields = ["memo", "condensed_meaning", "is_deviant", "is_counter_finding", "has_identifying_details"]
        widgets = {
            "memo": forms.Textarea(attrs={"rows": 3}),
            "condensed_meaning": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["speakers"].queryset = Informant.objects.filter(study=study).order_by("code")
        self.fields["speakers"].label_from_instance = lambda informant: informant.code
        # Any excerpt of the study may be posted (checked in one query); only the linked ones are listed —
        # a study has thousands, so others are found with the search box (``excerpt_corroboration_search``).
        self.fields["corroborates"].queryset = Excerpt.objects.filter(study=study).exclude(pk=self.instance.pk)
        self.fields["corroborates"].label_from_instance = excerpt_label
        if self.instance.pk and not self.is_bound:
            self.initial["speakers"] = list(self.instance.speakers.values_list("pk", flat=True))
            self.initial["corroborates"] = list(self.instance.corroborates.values_list("pk", flat=True))
        shown = self.initial.get("corroborates") or []
        if self.is_bound:
            key = self.add_prefix("corroborates")
            shown = self.data.getlist(key) if hasattr(self.data, "getlist") else self.data.get(key) or []
        shown_ids = [int(pk) for pk in shown if str(pk).isdigit()]
        self.fields["corroborates"].widget.choices = [
            (excerpt.pk, excerpt_label(excerpt))
            for excerpt in corroboration_choices(Excerpt.objects.filter(study=study, pk__in=shown_ids))
        ]


def corroboration_choices(excerpts: QuerySet[Excerpt]) -> QuerySet[Excerpt]:
    """``excerpts`` with what their label needs, in source order."""
    return (
        excerpts.select_related("source")
        .only("id", "start", "end", "text", "source__title", "source__version")
        .order_by("source__title", "source_id", "start", "id")
    )


def excerpt_label(excerpt: Excerpt) -> str:
    snippet = " ".join(excerpt.text.split())
    if len(snippet) > 70:
        snippet = snippet[:69] + "…"
    return f"{excerpt.source} · {excerpt.start}–{excerpt.end} · {snippet}"
