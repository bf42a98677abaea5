from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import GuideQuestion, ResearchQuestion, Study
from cases.models.study import colour_validator


class Code(models.Model):
    """A node of the study's codebook: a hierarchy of any depth."""

    class Origin(models.TextChoices):
        GUIDE = "guide", _("From the interview guide")
        THEORY = "theory", _("From theory")
        EMERGENT = "emergent", _("Emergent")
        IN_VIVO = "in_vivo", _("In vivo")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DROPPED = "dropped", _("Dropped")
        MERGED = "merged", _("Merged")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="codes")
    parent = models.ForeignKey(
        "self", on_delete=models.RESTRICT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    name = models.CharField(_("name"), max_length=200)
    colour = models.CharField(_("colour"), max_length=7, default="#ffd166", validators=[colour_validator])
    description = models.TextField(_("definition"), blank=True)
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices, default=Origin.EMERGENT)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    research_question = models.ForeignKey(
        ResearchQuestion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="codes",
        verbose_name=_("research question"),
    )
    guide_questions = models.ManyToManyField(
        GuideQuestion, blank=True, related_name="codes", verbose_name=_("interview-guide questions")
    )
    position = models.PositiveIntegerField(_("order"), default=0)
    shortcut = models.CharField(
        _("shortcut key"), max_length=1, blank=True, help_text=_("A digit 1–9 applies this code in the coding view.")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        ordering = ["position", "name", "id"]
        indexes = [models.Index(fields=["study", "parent", "position"], name="code_tree")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.parent_id:
            if self.parent.study_id != self.study_id:
                raise ValidationError({"parent": _("The parent code belongs to another study.")})
            ancestor = self.parent
            while ancestor is not None:
                if self.pk and ancestor.pk == self.pk:
                    raise ValidationError({"parent": _("A code cannot be placed under itself or its descendants.")})
                ancestor = ancestor.parent
        if self.research_question_id and self.research_question.study_id != self.study_id:
            raise ValidationError({"research_question": _("The research question belongs to another study.")})
        if self.status == self.Status.MERGED and self.merged_into_id is None:
            raise ValidationError({"merged_into": _("Say which code this one was merged into.")})
