"""Forms for the codebook and memos; choices are always limited to the study's own codes, questions and sources."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import GuideQuestion, Instrument, InstrumentVersion, ResearchQuestion, Study
from interviews.models import Code, Memo
from interviews.selectors_codebook import code_choices, memo_target_choices
from interviews.services.codebook import SHORTCUTS
from interviews.services.codebook_csv import CSV_COLUMNS

TOP_LEVEL = ""


class GuideQuestionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: GuideQuestion) -> str:
        return f"{obj.theme.version.instrument.title} {obj.theme.version.label} · {obj}"


class CodeForm(forms.ModelForm):
    """A code's own fields; with ``with_parent`` (creating) also where it goes."""

    parent = forms.TypedChoiceField(label=_("Parent code"), required=False, coerce=int, empty_value=None)
    shortcut = forms.ChoiceField(
        label=_("Shortcut key"),
        required=False,
        choices=[("", "—")] + [(digit, digit) for digit in SHORTCUTS],
        help_text=_("A digit 1–9 applies this code in the coding view."),
    )

    class Meta:
        model = Code
        fields = ["name", "colour", "description", "origin", "research_question", "guide_questions", "shortcut"]
        widgets = {
            "colour": forms.TextInput(attrs={"type": "color"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"description": _("When to apply this code, and when not: the definition coders follow.")}
        field_classes = {"guide_questions": GuideQuestionChoiceField}

    def __init__(self, *args: Any, study: Study, with_parent: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The model's own checks compare the research question's study with the code's.
        self.instance.study = study
        self.fields["research_question"].queryset = ResearchQuestion.objects.filter(study=study)
        self.fields["guide_questions"].queryset = (
            GuideQuestion.objects.filter(theme__version__instrument__study=study)
            .select_related("theme__version__instrument")
            .order_by(
                "theme__version__instrument__title", "theme__version__created_at", "theme__position", "position", "id"
            )
        )
        self.fields["guide_questions"].widget = forms.SelectMultiple(attrs={"size": 6})
        self.fields["guide_questions"].help_text = _("Hold Ctrl (⌘ on a Mac) to choose several.")
        if with_parent:
            self.fields["parent"].choices = [(TOP_LEVEL, _("— top level —"))] + code_choices(study)
            self.order_fields(["parent"])
        else:
            del self.fields["parent"]


class CodeMoveForm(forms.Form):
    parent = forms.TypedChoiceField(label=_("New parent"), required=False, coerce=int, empty_value=None)
    position = forms.IntegerField(
        label=_("Place among its new siblings"),
        required=False,
        min_value=1,
        help_text=_("1 is first. Leave empty to put it last."),
    )

    def __init__(self, *args: Any, study: Study, exclude: set[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [(TOP_LEVEL, _("— top level —"))] + code_choices(
            study, active_only=False, exclude=exclude
        )


class CodeMergeForm(forms.Form):
    target = forms.TypedChoiceField(label=_("Merge into"), coerce=int)

    def __init__(self, *args: Any, study: Study, exclude: set[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", "—")] + code_choices(study, exclude=exclude)


class CodebookSeedForm(forms.Form):
    version = forms.ModelChoiceField(label=_("Interview guide version"), queryset=InstrumentVersion.objects.none())

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = InstrumentVersion.objects.filter(
            instrument__study=study, instrument__kind=Instrument.Kind.INTERVIEW_GUIDE
        ).select_related("instrument")


class CodebookImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: %(columns)s. A file exported from another study's codebook works as it is.")
        % {"columns": ", ".join(CSV_COLUMNS)},
    )


def _target_choices(study: Study, first: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    codes, sources = memo_target_choices(study)
    choices = list(first)
    if codes:
        choices.append((_("Codes"), codes))
    if sources:
        choices.append((_("Sources"), sources))
    return choices


class MemoForm(forms.ModelForm):
    target = forms.ChoiceField(label=_("About"))

    class Meta:
        model = Memo
        fields = ["target", "title", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = _target_choices(study, [("study", _("The study as a whole"))])
        memo = self.instance
        if memo.pk and "target" not in self.initial:
            self.initial["target"] = (
                f"code-{memo.code_id}" if memo.code_id else (f"source-{memo.source_id}" if memo.source_id else "study")
            )


class MemoFilterForm(forms.Form):
    target = forms.ChoiceField(
        label=_("About"), required=False, widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = _target_choices(
            study,
            [
                ("", _("All memos")),
                ("study", _("The study as a whole")),
                ("codes", _("Any code")),
                ("sources", _("Any source")),
            ],
        )
