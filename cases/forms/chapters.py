"""Forms of the chapter-4 composer: they shape input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Attribution, Chapter, ChapterBlock, ChapterSection, GuideQuestion, QuestionnaireVersion, Study
from interviews.models import Code
from interviews.selectors_analysis import analysed_excerpts


class ChapterForm(forms.ModelForm):
    class Meta:
        model = Chapter
        fields = [
            "title",
            "number",
            "attribution",
            "attribution_template",
            "numbered",
            "table_of_contents",
            "introduction",
        ]
        widgets = {"introduction": forms.Textarea(attrs={"rows": 4})}


def guide_questions_of(study: Study):
    return (
        GuideQuestion.objects.filter(theme__version__instrument__study=study)
        .select_related("theme__version__instrument")
        .order_by("theme__version__instrument_id", "theme__version_id", "theme__position", "position", "pk")
    )


def guide_question_label(question: GuideQuestion) -> str:
    prefix = f"{question.label} " if question.label else ""
    return f"{prefix}{question.text[:90]} ({question.theme.version.label})"


class SectionForm(forms.Form):
    title = forms.CharField(label=_("Heading"), max_length=300)
    parent = forms.ModelChoiceField(label=_("Under"), queryset=ChapterSection.objects.none(), required=False)
    feed = forms.ChoiceField(label=_("Fed by"), choices=ChapterSection.Feed.choices)
    code = forms.ModelChoiceField(label=_("Code"), queryset=Code.objects.none(), required=False)
    include_descendants = forms.BooleanField(label=_("Include sub-codes"), required=False, initial=True)
    research_question = forms.ModelChoiceField(label=_("Research question"), queryset=None, required=False)
    guide_questions = forms.ModelMultipleChoiceField(
        label=_("Interview-guide questions"),
        queryset=GuideQuestion.objects.none(),
        required=False,
        help_text=_("Choose several to merge them, e.g. Q3 + Q4."),
    )
    group = forms.ModelChoiceField(label=_("Group"), queryset=None, required=False)
    site = forms.ModelChoiceField(label=_("Site"), queryset=None, required=False)
    fill_quotes = forms.BooleanField(label=_("Fill with the matching excerpts"), required=False)

    def __init__(self, *args, chapter: Chapter, **kwargs):
        super().__init__(*args, **kwargs)
        study = chapter.study
        self.fields["parent"].queryset = chapter.sections.order_by("position", "pk")
        self.fields["code"].queryset = Code.objects.filter(study=study)
        self.fields["research_question"].queryset = study.research_questions.all()
        self.fields["guide_questions"].queryset = guide_questions_of(study)
        self.fields["guide_questions"].label_from_instance = guide_question_label
        self.fields["group"].queryset = study.groups.order_by("position", "label")
        self.fields["site"].queryset = study.sites.order_by("pseudonym")


class SectionEditForm(forms.Form):
    title = forms.CharField(label=_("Heading"), max_length=300)
    attribution = forms.ChoiceField(
        label=_("Quote attribution"), choices=[("", _("As the chapter")), *Attribution.choices], required=False
    )
    attribution_template = forms.CharField(label=_("Attribution template"), max_length=200, required=False)
    group_quotes = forms.BooleanField(label=_("Group quotes by informant group"), required=False)
    group_order = forms.CharField(required=False)  # group ids, comma-separated, in the chosen order

    def clean_group_order(self) -> list[int]:
        raw = [part.strip() for part in self.cleaned_data["group_order"].split(",") if part.strip()]
        if not all(part.isdigit() for part in raw):
            raise forms.ValidationError(_("Choose the groups from the list."))
        return list(dict.fromkeys(int(part) for part in raw))


class TextBlockForm(forms.Form):
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Blank line: new paragraph. *emphasis*, **strong**, lines starting with - or 1. make lists. {count} inserts the counting word."
        ),
    )


class QuoteAddForm(forms.Form):
    excerpt = forms.ModelChoiceField(label=_("Excerpt"), queryset=None)

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["excerpt"].queryset = analysed_excerpts(study)


class QuoteEditForm(forms.Form):
    print_text = forms.CharField(
        label=_("Shortened for print"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class TableBlockForm(forms.Form):
    table = forms.ChoiceField(label=_("Table"), choices=ChapterBlock.Table.choices)
    caption = forms.CharField(label=_("Caption"), max_length=300, required=False)
    questionnaire_version = forms.ModelChoiceField(label=_("Questionnaire"), queryset=None, required=False)
    dataset = forms.ModelChoiceField(label=_("Dataset"), queryset=None, required=False)

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questionnaire_version"].queryset = QuestionnaireVersion.objects.filter(questionnaire__study=study)
        self.fields["dataset"].queryset = study.secondary_datasets.all()


class ExportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Format"),
        choices=[("chapter_pdf", _("PDF")), ("chapter_docx", _("Word (DOCX)"))],
        widget=forms.RadioSelect,
        initial="chapter_pdf",
    )
    acknowledge = forms.BooleanField(
        label=_("I have read the warnings above and the chapter may be exported as it is."), required=False
    )
