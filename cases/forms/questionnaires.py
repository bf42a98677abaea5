from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Questionnaire, QuestionnaireItem, QuestionnaireSection, SecondaryDataset, Study


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class QuestionnaireForm(forms.ModelForm):
    class Meta:
        model = Questionnaire
        fields = ["title", "mode", "anonymous", "session", "participants_count", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "mode": forms.RadioSelect}

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = study.sessions.order_by("date", "code")


class QuestionnaireCreateForm(QuestionnaireForm):
    first_version_label = forms.CharField(label=_("First version"), max_length=50, initial="v1")


class VersionCopyForm(forms.Form):
    label = forms.CharField(label=_("New version"), max_length=50, help_text=_("E.g. v2, after the pilot."))


class SectionForm(forms.ModelForm):
    class Meta:
        model = QuestionnaireSection
        fields = ["title"]


class ItemForm(forms.ModelForm):
    """An item; options and the answers that ask for the follow-up are typed one per line."""

    options_text = forms.CharField(
        label=_("Options (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For single choice, multiple choice and rank items, e.g. Ja / Nei / Delvis / Vet ikke."),
    )
    follow_up_on_text = forms.CharField(
        label=_("Ask the follow-up only after (one option per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Empty: after any answer."),
    )

    class Meta:
        model = QuestionnaireItem
        fields = [
            "label",
            "text",
            "kind",
            "required",
            "scale_min",
            "scale_max",
            "scale_min_label",
            "scale_max_label",
            "allow_half_points",
            "rank_count",
            "follow_up_prompt",
        ]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["options_text"].initial = "\n".join(o.text for o in self.instance.options.all())
            self.fields["follow_up_on_text"].initial = "\n".join(o.text for o in self.instance.follow_up_on.all())

    def _post_clean(self):
        # The service validates the whole item with its options; skip the model's own check here.
        pass

    def item_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def options(self) -> list[str]:
        return _lines(self.cleaned_data.get("options_text", ""))

    def follow_up_on(self) -> list[str]:
        return _lines(self.cleaned_data.get("follow_up_on_text", ""))


class ResponseNoteForm(forms.Form):
    data_quality_note = forms.CharField(
        label=_("Data-quality note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DatasetForm(forms.ModelForm):
    table = forms.CharField(
        label=_("Table"),
        widget=forms.Textarea(attrs={"rows": 10, "class": "font-monospace"}),
        help_text=_(
            "Paste from a spreadsheet: the first line holds the heading of the row labels and the column headings; "
            "each further line a row label and one number per column. Decimal comma or point."
        ),
    )
    reference_rows = forms.CharField(
        label=_("Reference rows (labels, one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. Landsgjennomsnitt."),
    )
    reference_column_name = forms.CharField(
        label=_("Reference column (its heading)"), required=False, max_length=200, help_text=_("E.g. Norge.")
    )

    class Meta:
        model = SecondaryDataset
        fields = ["title", "source_note", "decimal_places"]
        widgets = {"source_note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        dataset = self.instance
        if dataset.pk:
            from cases.selectors_questionnaires import dataset_table

            table = dataset_table(dataset)
            lines = ["\t".join([table.row_heading, *table.columns])]
            for row in table.rows:
                lines.append("\t".join([row.label, *(table.formatted(v) for v in row.values)]))
            self.fields["table"].initial = "\n".join(lines)
            self.fields["reference_rows"].initial = "\n".join(r.label for r in table.rows if r.is_reference)
            if table.reference_column is not None:
                self.fields["reference_column_name"].initial = table.columns[table.reference_column]

    def _post_clean(self):
        pass

    def reference_row_labels(self) -> list[str]:
        return _lines(self.cleaned_data.get("reference_rows", ""))
