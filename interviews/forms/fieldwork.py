import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Informant, InstrumentVersion, Site, Study, User
from interviews.models import Attendance, Recording, Session
from interviews.services.fieldwork import NOT_INVITED

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class MembersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class MonthField(forms.CharField):
    """A month as ``YYYY-MM`` (what ``<input type="month">`` sends), cleaned to the first day of that month."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": _("YYYY-MM")})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Enter the month as YYYY-MM, e.g. 2017-01.")) from None


class SessionForm(forms.ModelForm):
    """All of a session's fields; people, site and guide are limited to the study's own.

    The date is either an exact day (``date``) or, for old records, only a month:
    fill in ``month`` or choose the precision "month only" with any day of that month.
    """

    month = MonthField(label=_("Month (if the day is not known)"), required=False)
    moderator = MemberChoiceField(label=_("Moderator / interviewer"), queryset=User.objects.none(), required=False)
    observers = MembersChoiceField(
        label=_("Observers"), queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Session
        fields = [
            "code",
            "title",
            "kind",
            "status",
            "cancel_reason",
            "date",
            "month",
            "date_precision",
            "start_time",
            "duration_minutes",
            "place",
            "mode",
            "site",
            "moderator",
            "observers",
            "guide_version",
            "reflexive_memo",
        ]
        widgets = {
            "date": DATE_WIDGET,
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "cancel_reason": forms.Textarea(attrs={"rows": 2}),
            "reflexive_memo": forms.Textarea(attrs={"rows": 5}),
            "date_precision": forms.RadioSelect,
        }

    field_order = Meta.fields

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        members = User.objects.filter(memberships__study=study).order_by("full_name", "email")
        self.fields["moderator"].queryset = members
        self.fields["observers"].queryset = members
        self.fields["site"].queryset = Site.objects.filter(study=study)
        self.fields["guide_version"].queryset = InstrumentVersion.objects.filter(
            instrument__study=study
        ).select_related("instrument")
        session = self.instance
        if session.pk and session.date and session.date_precision == Session.DatePrecision.MONTH:
            self.initial["month"] = session.date.strftime("%Y-%m")
            self.initial["date"] = None

    def clean(self):
        cleaned = super().clean()
        month = cleaned.get("month")
        if month and not cleaned.get("date"):
            cleaned["date"] = month
            cleaned["date_precision"] = Session.DatePrecision.MONTH
        elif month and cleaned.get("date") and cleaned.get("date_precision") == Session.DatePrecision.MONTH:
            self.add_error("month", _("Give either the month or an exact date, not both."))
        if cleaned.get("date_precision") == Session.DatePrecision.MONTH and cleaned.get("date"):
            cleaned["date"] = cleaned["date"].replace(day=1)
        return cleaned

    def service_fields(self) -> dict:
        """The cleaned data the session services take (observers go separately)."""
        return {name: value for name, value in self.cleaned_data.items() if name not in ("month", "observers")}


class SessionFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All kinds")), *Session.Kind.choices], required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All statuses")), *Session.Status.choices], required=False
    )


ATTENDANCE_CHOICES = [(NOT_INVITED, _("Not invited")), *Attendance.Status.choices]


class AttendanceRowForm(forms.Form):
    """One informant's line in the attendance table; choices are given as lists so rendering costs no queries."""

    informant = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Attendance"), choices=ATTENDANCE_CHOICES)
    absence_reason = forms.CharField(label=_("Reason for absence"), max_length=300, required=False)
    substitute_for = forms.TypedChoiceField(label=_("Substitute for"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, informant_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["absence_reason"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["substitute_for"].choices = [("", "–"), *informant_choices]
        self.fields["substitute_for"].widget.attrs["class"] = "form-select form-select-sm"

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        if status == Attendance.Status.SUBSTITUTE and not cleaned.get("substitute_for"):
            self.add_error("substitute_for", _("Say whom the substitute stood in for."))
        if status != Attendance.Status.SUBSTITUTE:
            cleaned["substitute_for"] = None
        if status != Attendance.Status.ABSENT:
            cleaned["absence_reason"] = ""
        if cleaned.get("substitute_for") and cleaned.get("substitute_for") == cleaned.get("informant"):
            self.add_error("substitute_for", _("An informant cannot substitute for themselves."))
        return cleaned


class BaseAttendanceFormSet(forms.BaseFormSet):
    def __init__(self, *args, informants: list[Informant], **kwargs):
        self.informants = informants
        self.informant_choices = [(informant.pk, informant.code) for informant in informants]
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "informant_choices": self.informant_choices}

    def clean(self):
        known = {informant.pk for informant in self.informants}
        for form in self.forms:
            if form.cleaned_data.get("informant") not in known:
                raise forms.ValidationError(_("The attendance list is out of date. Reload the page and try again."))


AttendanceFormSet = forms.formset_factory(AttendanceRowForm, formset=BaseAttendanceFormSet, extra=0)


class RecordingForm(forms.ModelForm):
    class Meta:
        model = Recording
        fields = ["device", "storage_location", "encrypted", "duration_minutes", "deletion_due", "deleted_on", "notes"]
        widgets = {"deletion_due": DATE_WIDGET, "deleted_on": DATE_WIDGET, "notes": forms.Textarea(attrs={"rows": 3})}
