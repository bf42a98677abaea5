"""Forms for the review screens; codes, excerpts and comments are always limited to the study's own."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Study
from interviews.models import Code, Excerpt, ReviewComment, ReviewItem


class ReviewBatchCreateForm(forms.Form):
    code = forms.ModelChoiceField(label=_("Code"), queryset=Code.objects.none(), empty_label=_("Choose a code"))
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Leave empty to use the code's name.")
    )

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].queryset = Code.objects.filter(study=study, status=Code.Status.ACTIVE).order_by("name")


class ReviewItemDecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(ReviewItem.Decision.APPROVED, ""), (ReviewItem.Decision.CHANGE_REQUESTED, "")]
    )


class ReviewCommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    excerpt = forms.ModelChoiceField(queryset=Excerpt.objects.none(), required=False, widget=forms.HiddenInput)
    code = forms.ModelChoiceField(queryset=Code.objects.none(), required=False, widget=forms.HiddenInput)
    parent = forms.ModelChoiceField(queryset=ReviewComment.objects.none(), required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["excerpt"].queryset = Excerpt.objects.filter(study=study)
        self.fields["code"].queryset = Code.objects.filter(study=study)
        self.fields["parent"].queryset = ReviewComment.objects.filter(study=study)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("excerpt") or data.get("code") or data.get("parent")):
            raise forms.ValidationError(_("Say what the comment is about: an excerpt or a code."))
        return data
