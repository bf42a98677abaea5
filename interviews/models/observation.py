"""Observed meetings: who else was there, the guide's checklist, typed notes, observers' disagreements."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import GuideQuestion, Instrument

from .fieldwork import Session
from .sources import Source


class OtherAttendee(models.Model):
    """Someone present who is not an informant, described by role only: no names are stored."""

    class Kind(models.TextChoices):
        RESEARCHER = "researcher", _("The researcher")
        OTHER = "other", _("Not an informant")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="other_attendees")
    kind = models.CharField(_("who"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    role = models.CharField(
        _("role"),
        max_length=120,
        help_text=_("E.g. head of unit, process facilitator, fully participating member. A role, never a name."),
    )
    count = models.PositiveSmallIntegerField(
        _("how many"), default=1, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )

    class Meta:
        verbose_name = _("other attendee")
        verbose_name_plural = _("other attendees")
        ordering = ["session", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.session.code}: {self.role}"


class ChecklistTick(models.Model):
    """Whether an observation-guide point was seen in one meeting (the source of "in all meetings but one")."""

    class Answer(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        NOT_APPLICABLE = "na", _("Not applicable")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="checklist_ticks")
    question = models.ForeignKey(GuideQuestion, on_delete=models.CASCADE, related_name="checklist_ticks")
    answer = models.CharField(_("answer"), max_length=3, choices=Answer.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    ticked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("checklist tick")
        verbose_name_plural = _("checklist ticks")
        ordering = ["session", "question__theme__position", "question__position", "question_id"]
        constraints = [models.UniqueConstraint(fields=["session", "question"], name="checklist_tick_unique")]

    def __str__(self) -> str:
        return f"{self.session.code}: {self.get_answer_display()}"

    def clean(self):
        version = self.question.theme.version
        if version.instrument.kind != Instrument.Kind.OBSERVATION_GUIDE:
            raise ValidationError(_("Only the points of an observation guide are ticked per meeting."))
        if self.session.guide_version_id != version.pk:
            raise ValidationError(_("This point belongs to another guide than the one used in the meeting."))


class ObservationNote(models.Model):
    """One observer's note from a meeting, typed by what it records."""

    class NoteType(models.TextChoices):
        SAID = "said", _("What was said")
        DONE = "done", _("What was done")
        NON_VERBAL = "non_verbal", _("Non-verbal / body language")
        REFLECTION = "reflection", _("Researcher's reflection")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="observation_notes")
    observer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("observer")
    )
    note_type = models.CharField(_("note type"), max_length=12, choices=NoteType.choices)
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("observation note")
        verbose_name_plural = _("observation notes")
        ordering = ["session", "observer_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.session.code}: {self.get_note_type_display()}"


class FieldNoteDisagreement(models.Model):
    """Where two observers' field notes of the same meeting disagree, and how the researchers resolved it."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="disagreements")
    topic = models.CharField(_("what the disagreement is about"), max_length=300)
    first_source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="+", verbose_name=_("first observer's notes")
    )
    first_view = models.TextField(_("first observer's view"))
    second_source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="+", verbose_name=_("second observer's notes")
    )
    second_view = models.TextField(_("second observer's view"))
    resolution = models.TextField(_("how it was resolved"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("field-note disagreement")
        verbose_name_plural = _("field-note disagreements")
        ordering = ["session", "created_at", "id"]

    def __str__(self) -> str:
        return self.topic

    def clean(self):
        errors = {}
        for name in ("first_source", "second_source"):
            source = getattr(self, name)
            if source.session_id != self.session_id or source.kind != Source.Kind.FIELD_NOTES:
                errors[name] = _("Choose field notes of this session.")
        if not errors and self.first_source_id == self.second_source_id:
            errors["second_source"] = _("Compare two different observers' notes.")
        if errors:
            raise ValidationError(errors)
