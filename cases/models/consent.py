from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .approvals import StoredFile
from .people import Informant
from .study import Study


class InformationLetter(models.Model):
    """A version of the information letter (informasjonsskriv) and what it promised."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="information_letters")
    version = models.CharField(_("version"), max_length=50, help_text=_("E.g. v1, 2016-11."))
    dated = models.DateField(_("dated"), null=True, blank=True)
    file = models.ForeignKey(StoredFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("file"))
    promised_access = models.TextField(_("who has access, as promised"), blank=True)
    promised_storage = models.TextField(_("where recordings are stored, as promised"), blank=True)
    promised_deletion = models.DateField(_("deletion promised by"), null=True, blank=True)
    promised_roles = models.JSONField(
        _("roles the letter names as having access"), default=list, blank=True,
        help_text=_("E.g. the student and the supervisor; a member in another role is flagged."),
    )

    class Meta:
        verbose_name = _("information letter")
        verbose_name_plural = _("information letters")
        ordering = ["-dated", "-id"]
        constraints = [models.UniqueConstraint(fields=["study", "version"], name="letter_unique_version")]

    def __str__(self) -> str:
        return self.version


class ConsentRecord(models.Model):
    """One version of an informant's consent. Never edited: a change appends a new record.

    The informant's current consent is their latest record. State follows
    pending → given → withdrawn, derived from the dates.
    """

    class Mode(models.TextChoices):
        WRITTEN = "written", _("Written")
        ORAL = "oral", _("Oral")
        IMPLIED = "implied", _("Implied by participation after the letter")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        GIVEN = "given", _("Given")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    informant = models.ForeignKey(Informant, on_delete=models.CASCADE, related_name="consents")
    letter = models.ForeignKey(
        InformationLetter, on_delete=models.RESTRICT, null=True, blank=True, related_name="consents",
        verbose_name=_("information letter version"),
    )
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.WRITTEN)
    given_on = models.DateField(_("given on"), null=True, blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    covers_interview = models.BooleanField(_("interview"), default=True)
    covers_recording = models.BooleanField(_("recording"), default=True)
    covers_observation = models.BooleanField(_("observation"), default=False)
    covers_quotes = models.BooleanField(_("quotes in publications"), default=True)
    form = models.ForeignKey(StoredFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("signed form"))
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["informant", "-recorded_at", "-id"]
        get_latest_by = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.informant.code}: {self.get_state_display()}"

    @property
    def state(self) -> str:
        if self.withdrawn_on:
            return self.State.WITHDRAWN
        if self.given_on:
            return self.State.GIVEN
        return self.State.PENDING

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)

    @property
    def scope_labels(self) -> list[str]:
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in ("covers_interview", "covers_recording", "covers_observation", "covers_quotes")
            if getattr(self, name)
        ]

    def clean(self):
        if self.withdrawn_on and self.given_on and self.withdrawn_on < self.given_on:
            raise ValidationError({"withdrawn_on": _("Consent cannot be withdrawn before it was given.")})
        if self.mode == self.Mode.ORAL and self.given_on is None and self.withdrawn_on is None:
            raise ValidationError({"given_on": _("Oral consent needs the date it was given.")})
        if self.letter_id and self.letter.study_id != self.informant.study_id:
            raise ValidationError({"letter": _("The letter belongs to another study.")})
