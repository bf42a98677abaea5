from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Study, User
from interviews.models import ObservationNote, OtherAttendee, Session, Source

from .fieldwork import MemberChoiceField


class OtherAttendeeForm(forms.ModelForm):
    class Meta:
        model = OtherAttendee
        fields = ["kind", "role", "count"]
        widgets = {"kind": forms.RadioSelect}


class AgendaForm(forms.Form):
    agenda = forms.FileField(label=_("Agenda (PDF, Word or OpenDocument)"), required=False)
    text = forms.CharField(
        label=_("The agenda's text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Paste it to code and quote the agenda like the notes; it becomes a document source of this session."
        ),
    )


class ObservationNoteForm(forms.Form):
    observer = MemberChoiceField(label=_("Observer"), queryset=User.objects.none())
    note_type = forms.ChoiceField(label=_("Note type"), choices=ObservationNote.NoteType.choices)
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["observer"].queryset = User.objects.filter(memberships__study=study).order_by("full_name", "email")


class NotesToSourceForm(forms.Form):
    observer = forms.IntegerField(widget=forms.HiddenInput)


class ReconciledNotesForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Reconciled text"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("The version both observers agree on. Once coded, the text no longer changes."),
    )


class SourceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Source) -> str:
        return str(obj)


class DisagreementForm(forms.Form):
    topic = forms.CharField(label=_("What the disagreement is about"), max_length=300)
    first_source = SourceChoiceField(label=_("First observer's notes"), queryset=Source.objects.none())
    first_view = forms.CharField(label=_("First observer's view"), widget=forms.Textarea(attrs={"rows": 2}))
    second_source = SourceChoiceField(label=_("Second observer's notes"), queryset=Source.objects.none())
    second_view = forms.CharField(label=_("Second observer's view"), widget=forms.Textarea(attrs={"rows": 2}))
    resolution = forms.CharField(
        label=_("How it was resolved"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, session: Session, notes: list[Source], **kwargs):
        super().__init__(*args, **kwargs)
        # Any source of the study may be chosen here; the service refuses notes of another meeting.
        sources = Source.objects.filter(study_id=session.study_id)
        for name in ("first_source", "second_source"):
            self.fields[name].queryset = sources
            self.fields[name].choices = [("", "–"), *[(source.pk, str(source)) for source in notes]]
        if len(notes) >= 2 and not self.is_bound:
            self.initial.update(first_source=notes[0].pk, second_source=notes[1].pk)


class ResolutionForm(forms.Form):
    resolution = forms.CharField(label=_("How it was resolved"), widget=forms.Textarea(attrs={"rows": 2}))
