"""Forms for the review screens; codes, excerpts and comments are always limited to the study's own."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Study
from interviews.models import Code, Excerpt, ReviewBatch, ReviewComment, ReviewItem, Session, Source


class ReviewBatchCreateForm(forms.Form):
    """What to put up for review: a code's excerpts or definition, a source's excerpts, or hand-picked excerpts."""

    CODE, DEFINITION, SOURCE, PICKED = "code", "definition", "source", "picked"

    # The list page offers the code's two choices; the coding view and retrieval post "source" or "picked".
    basis = forms.CharField(
        label=_("Review"),
        required=False,
        widget=forms.RadioSelect(choices=[(CODE, _("The code's excerpts")), (DEFINITION, _("The code's definition"))]),
    )
    code = forms.ModelChoiceField(
        label=_("Code"), queryset=Code.objects.none(), empty_label=_("Choose a code"), required=False
    )
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Leave empty to use the code's name.")
    )
    source = forms.ModelChoiceField(queryset=Source.objects.none(), required=False, widget=forms.HiddenInput)
    excerpt = forms.ModelMultipleChoiceField(
        queryset=Excerpt.objects.none(), required=False, widget=forms.MultipleHiddenInput
    )
    submit_now = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].queryset = Code.objects.filter(study=study, status=Code.Status.ACTIVE).order_by("name")
        self.fields["source"].queryset = Source.objects.filter(study=study).defer("text")
        self.fields["excerpt"].queryset = Excerpt.objects.filter(study=study).only("id")
        self.initial.setdefault("basis", self.CODE)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        basis = data.get("basis") or self.CODE
        if basis not in (self.CODE, self.DEFINITION, self.SOURCE, self.PICKED):
            raise forms.ValidationError(_("Choose what to put up for review."))
        data["basis"] = basis
        if basis in (self.CODE, self.DEFINITION) and not data.get("code"):
            self.add_error("code", _("Choose a code."))
        if basis == self.SOURCE and not data.get("source"):
            raise forms.ValidationError(_("The source does not exist in this study."))
        if basis == self.PICKED and not data.get("excerpt"):
            raise forms.ValidationError(_("Tick the excerpts to put up for review."))
        return data

    def default_title(self) -> str:
        data = self.cleaned_data
        if data["title"]:
            return data["title"]
        if data["basis"] == self.SOURCE:
            return str(data["source"])[:200]
        if data["basis"] == self.PICKED:
            return _("%(count)d chosen excerpts") % {"count": len(data["excerpt"])}
        if data["basis"] == self.DEFINITION:
            return (_("Definition: %(code)s") % {"code": data["code"].name})[:200]
        return data["code"].name[:200]


class ReviewBatchDecideForm(forms.Form):
    """Closing a review; a code's definition is approved or sent back with a comment."""

    decision = forms.ChoiceField(
        choices=[(ReviewBatch.State.APPROVED, ""), (ReviewBatch.State.CHANGES_REQUESTED, "")], required=False
    )
    comment = forms.CharField(max_length=5000, required=False)
    code = forms.ModelChoiceField(
        queryset=Code.objects.none(), required=False
    )  # the whole codebook: what the comment is about

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].queryset = Code.objects.filter(study=study).only("id", "study_id")


class ReviewItemDecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(ReviewItem.Decision.APPROVED, ""), (ReviewItem.Decision.CHANGE_REQUESTED, "")]
    )


class ReviewCommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    excerpt = forms.ModelChoiceField(queryset=Excerpt.objects.none(), required=False, widget=forms.HiddenInput)
    code = forms.ModelChoiceField(queryset=Code.objects.none(), required=False, widget=forms.HiddenInput)
    source = forms.ModelChoiceField(queryset=Source.objects.none(), required=False, widget=forms.HiddenInput)
    session = forms.ModelChoiceField(queryset=Session.objects.none(), required=False, widget=forms.HiddenInput)
    parent = forms.ModelChoiceField(queryset=ReviewComment.objects.none(), required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["excerpt"].queryset = Excerpt.objects.filter(study=study)
        self.fields["code"].queryset = Code.objects.filter(study=study)
        self.fields["source"].queryset = Source.objects.filter(study=study).defer("text")
        self.fields["session"].queryset = Session.objects.filter(study=study)
        self.fields["parent"].queryset = ReviewComment.objects.filter(study=study)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not any(data.get(name) for name in ("excerpt", "code", "source", "session", "parent")):
            raise forms.ValidationError(_("Say what the comment is about: an excerpt, a code, a source or a session."))
        return data
