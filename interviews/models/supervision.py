from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Study


class SupervisionMeeting(models.Model):
    """A supervision meeting (veiledningsmøte): what was discussed, what was decided, what it changed."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="supervision_meetings")
    held_on = models.DateField(_("date"))
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("present")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("supervision meeting")
        verbose_name_plural = _("supervision meetings")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.held_on}"


class SupervisionDecision(models.Model):
    """One decision of a meeting and, optionally, the part of the study it changed."""

    class Area(models.TextChoices):
        DESIGN = "design", _("Design and research questions")
        SAMPLING = "sampling", _("Sampling and recruitment")
        INSTRUMENTS = "instruments", _("Interview or observation guide")
        FIELDWORK = "fieldwork", _("Fieldwork")
        ANALYSIS = "analysis", _("Analysis and codebook")
        WRITING = "writing", _("Writing")
        DATA_PROTECTION = "data_protection", _("Data protection")
        OTHER = "other", _("Other")

    meeting = models.ForeignKey(SupervisionMeeting, on_delete=models.CASCADE, related_name="decisions")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField(_("decision"))
    area = models.CharField(_("what it changed"), max_length=20, choices=Area.choices, default=Area.OTHER)
    research_question = models.ForeignKey(
        "cases.ResearchQuestion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("research question"),
    )
    code = models.ForeignKey(
        "interviews.Code", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("code")
    )
    session = models.ForeignKey(
        "interviews.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("session"),
    )
    instrument = models.ForeignKey(
        "cases.Instrument",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("guide"),
    )
    is_done = models.BooleanField(_("carried out"), default=False)

    class Meta:
        verbose_name = _("supervision decision")
        verbose_name_plural = _("supervision decisions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:80]
