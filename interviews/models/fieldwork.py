from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Informant, InstrumentVersion, Site, StoredFile, Study


class Session(models.Model):
    """A fieldwork occasion: an interview, a focus group, an observed meeting …"""

    class Kind(models.TextChoices):
        INDIVIDUAL_INTERVIEW = "individual_interview", _("Individual interview")
        FOCUS_GROUP = "focus_group", _("Focus group")
        GROUP_INTERVIEW = "group_interview", _("Group interview")
        WORKSHOP = "workshop", _("Workshop session")
        OBSERVATION = "observation", _("Observation")
        EVALUATION_ROUND = "evaluation_round", _("Evaluation round")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    class DatePrecision(models.TextChoices):
        DAY = "day", _("Exact day")
        MONTH = "month", _("Month only")

    class Mode(models.TextChoices):
        ON_SITE = "on_site", _("On site")
        VIDEO = "video", _("Video")
        PHONE = "phone", _("Phone")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="sessions")
    code = models.CharField(_("code"), max_length=30, help_text=_("E.g. S01, FG2."))
    title = models.CharField(_("title"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.INDIVIDUAL_INTERVIEW)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    date = models.DateField(_("date"), null=True, blank=True)
    date_precision = models.CharField(
        _("date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=_("Old records may only know the month."),
    )
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )
    place = models.CharField(_("place"), max_length=200, blank=True, help_text=_("No real workplace names."))
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.ON_SITE)
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions", verbose_name=_("site")
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderator / interviewer"),
    )
    observers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("observers")
    )
    guide_version = models.ForeignKey(
        InstrumentVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("guide version used"),
    )
    reflexive_memo = models.TextField(_("reflexive memo"), blank=True)
    agenda = models.ForeignKey(
        StoredFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("agenda")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["date", "code"]
        constraints = [models.UniqueConstraint(fields=["study", "code"], name="session_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}".strip()

    @property
    def date_display(self) -> str:
        if self.date is None:
            return ""
        if self.date_precision == self.DatePrecision.MONTH:
            return self.date.strftime("%Y-%m")
        return self.date.isoformat()

    def clean(self):
        errors = {}
        if self.status == self.Status.CANCELLED and not self.cancel_reason.strip():
            errors["cancel_reason"] = _("Say why the session was cancelled.")
        if self.status == self.Status.HELD and self.date is None:
            errors["date"] = _("A held session needs its date (the month is enough).")
        if self.date_precision == self.DatePrecision.MONTH and self.date and self.date.day != 1:
            self.date = self.date.replace(day=1)
        if self.site_id and self.site.study_id != self.study_id:
            errors["site"] = _("The site belongs to another study.")
        if self.guide_version_id and self.guide_version.instrument.study_id != self.study_id:
            errors["guide_version"] = _("The guide belongs to another study.")
        if errors:
            raise ValidationError(errors)


class Attendance(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        CAME = "came", _("Came")
        ABSENT = "absent", _("Absent")
        SUBSTITUTE = "substitute", _("Came as a substitute")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    informant = models.ForeignKey(Informant, on_delete=models.CASCADE, related_name="attendances")
    status = models.CharField(_("attendance"), max_length=10, choices=Status.choices, default=Status.INVITED)
    absence_reason = models.CharField(_("reason for absence"), max_length=300, blank=True)
    substitute_for = models.ForeignKey(
        Informant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("substitute for")
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["informant__code"]
        constraints = [models.UniqueConstraint(fields=["session", "informant"], name="attendance_unique")]

    def __str__(self) -> str:
        return f"{self.informant.code} @ {self.session.code}: {self.get_status_display()}"

    def clean(self):
        if self.informant.study_id != self.session.study_id:
            raise ValidationError(_("The informant belongs to another study."))
        if self.status == self.Status.SUBSTITUTE and self.substitute_for_id is None:
            raise ValidationError({"substitute_for": _("Say whom the substitute stood in for.")})


class Recording(models.Model):
    """Metadata of an audio or video recording; the recording itself is personal data with a deletion date."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="recordings")
    device = models.CharField(_("device"), max_length=200, blank=True)
    storage_location = models.CharField(_("storage location"), max_length=300, blank=True)
    encrypted = models.BooleanField(_("stored encrypted"), default=False)
    duration_minutes = models.PositiveIntegerField(_("length (minutes)"), null=True, blank=True)
    deletion_due = models.DateField(_("deletion due"), null=True, blank=True)
    deleted_on = models.DateField(_("deleted on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["session", "id"]

    def __str__(self) -> str:
        return f"{self.session.code}: {self.device}"
