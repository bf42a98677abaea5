"""Forms for supervision meetings; people and links are always limited to the study's own."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Instrument, ResearchQuestion, Study, User
from interviews.models import Code, Session, SupervisionDecision, SupervisionMeeting


class SupervisionMeetingForm(forms.ModelForm):
    class Meta:
        model = SupervisionMeeting
        fields = ["held_on", "attendees", "notes"]
        widgets = {
            "held_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "attendees": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {
            "notes": _("What was discussed. Kept in the study; the audit trail records only that it changed.")
        }

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = User.objects.filter(memberships__study=study).order_by("full_name", "email")


class SupervisionDecisionForm(forms.ModelForm):
    class Meta:
        model = SupervisionDecision
        fields = ["text", "area", "research_question", "code", "session", "instrument"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "text": _("E.g. “Sampling settled: two more team leaders from Kommune B.”"),
            "area": _("The part of the study this decision changes; link the exact item below if there is one."),
        }

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current_code = self.instance.code_id if self.instance.pk else None
        self.fields["research_question"].queryset = ResearchQuestion.objects.filter(study=study).order_by(
            "position", "label"
        )
        self.fields["code"].queryset = (
            Code.objects.filter(study=study).filter(Q(status=Code.Status.ACTIVE) | Q(pk=current_code)).order_by("name")
        )
        self.fields["session"].queryset = Session.objects.filter(study=study).order_by("code")
        self.fields["instrument"].queryset = Instrument.objects.filter(study=study).order_by("title")
        self.fields["research_question"].label_from_instance = lambda rq: f"{rq.label}: {rq.text[:60]}"
        self.fields["session"].label_from_instance = lambda session: f"{session.code} {session.title}".strip()
        self.fields["instrument"].label_from_instance = lambda instrument: instrument.title
