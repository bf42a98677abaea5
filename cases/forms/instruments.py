from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import GuidePrompt, GuideQuestion, GuideTheme, Instrument, InstrumentVersion, ResearchQuestion, Study


class InstrumentForm(forms.ModelForm):
    first_version_label = forms.CharField(
        label=_("First version"), max_length=50, initial="v1", help_text=_("E.g. v1, full, sent to informants.")
    )

    class Meta:
        model = Instrument
        fields = ["title", "kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "kind": forms.RadioSelect}


class InstrumentEditForm(forms.ModelForm):
    class Meta:
        model = Instrument
        fields = ["title", "kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "kind": forms.RadioSelect}


class VersionCopyForm(forms.Form):
    label = forms.CharField(label=_("New version"), max_length=50, help_text=_("E.g. v2, short."))
    audience = forms.ChoiceField(label=_("Audience"), choices=InstrumentVersion.Audience.choices)


class ThemeForm(forms.ModelForm):
    class Meta:
        model = GuideTheme
        fields = ["title"]


class ResearchQuestionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ResearchQuestion) -> str:
        return f"{obj.label} {obj.text[:80]}"


class QuestionForm(forms.ModelForm):
    """A guide question; its research question can only be one of the study's."""

    research_question = ResearchQuestionChoiceField(
        label=_("Research question"), queryset=ResearchQuestion.objects.none(), required=False
    )

    class Meta:
        model = GuideQuestion
        fields = ["label", "text", "research_question"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["research_question"].queryset = ResearchQuestion.objects.filter(study=study)


class PromptForm(forms.ModelForm):
    class Meta:
        model = GuidePrompt
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}
