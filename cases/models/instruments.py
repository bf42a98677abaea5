from django.db import models
from django.utils.translation import gettext_lazy as _

from .study import ResearchQuestion, Study


class Instrument(models.Model):
    """An interview or observation guide; its content lives in versions."""

    class Kind(models.TextChoices):
        INTERVIEW_GUIDE = "interview_guide", _("Interview guide")
        OBSERVATION_GUIDE = "observation_guide", _("Observation guide")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="instruments")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.INTERVIEW_GUIDE)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = ["kind", "title"]

    def __str__(self) -> str:
        return self.title


class InstrumentVersion(models.Model):
    class Audience(models.TextChoices):
        RESEARCHER = "researcher", _("Full version for the researcher")
        INFORMANTS = "informants", _("Short version sent to informants")

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="versions")
    label = models.CharField(_("version"), max_length=50, help_text=_("E.g. v1, full, sent to informants."))
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices, default=Audience.RESEARCHER)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("instrument version")
        verbose_name_plural = _("instrument versions")
        ordering = ["instrument", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["instrument", "label"], name="instrument_version_unique_label")]

    def __str__(self) -> str:
        return f"{self.instrument} ({self.label})"

    @property
    def study_id(self) -> int:
        return self.instrument.study_id


class GuideTheme(models.Model):
    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="themes")
    position = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("theme"), max_length=300)

    class Meta:
        verbose_name = _("guide theme")
        verbose_name_plural = _("guide themes")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class GuideQuestion(models.Model):
    theme = models.ForeignKey(GuideTheme, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(_("order"), default=0)
    label = models.CharField(_("label"), max_length=20, blank=True, help_text=_("E.g. Q3."))
    text = models.TextField(_("question"))
    research_question = models.ForeignKey(
        ResearchQuestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="guide_questions",
        verbose_name=_("research question"),
    )

    class Meta:
        verbose_name = _("guide question")
        verbose_name_plural = _("guide questions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.label} {self.text[:60]}".strip()


class GuidePrompt(models.Model):
    question = models.ForeignKey(GuideQuestion, on_delete=models.CASCADE, related_name="prompts")
    position = models.PositiveIntegerField(_("order"), default=0)
    text = models.TextField(_("prompt"))

    class Meta:
        verbose_name = _("prompt")
        verbose_name_plural = _("prompts")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:60]
