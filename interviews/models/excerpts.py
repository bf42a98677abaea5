from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.models import Informant, Study

from .codebook import Code
from .sources import Source


class Excerpt(models.Model):
    """A coded stretch of a source.

    ``start`` and ``end`` are Python string indices into ``source.text``, end
    exclusive (the REFI-QDA convention); ``text`` is a copy of that stretch,
    checked by the service on every write.
    """

    # Both indexed by the composite indexes below that begin with them: a plain index of their own would
    # only cost every write (applying a code) its upkeep.
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="excerpts", db_index=False)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="excerpts", db_index=False)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    codes = models.ManyToManyField(Code, through="Coding", related_name="excerpts")
    speakers = models.ManyToManyField(Informant, blank=True, related_name="excerpts", verbose_name=_("speakers"))
    speakers_overridden = models.BooleanField(default=False)
    has_unknown_speaker = models.BooleanField(
        default=False, help_text="Part of the excerpt is spoken by someone not mapped to an informant."
    )
    memo = models.TextField(_("memo"), blank=True)
    condensed_meaning = models.TextField(_("condensed meaning"), blank=True)
    is_deviant = models.BooleanField(_("deviant finding"), default=False)
    is_counter_finding = models.BooleanField(_("counter-finding"), default=False)
    has_identifying_details = models.BooleanField(_("identifying details"), default=False)
    needs_reanchor = models.BooleanField(
        _("needs re-anchoring"), default=False, help_text="The source changed and the text could not be found again."
    )
    corroborates = models.ManyToManyField("self", blank=True, symmetrical=True, verbose_name=_("corroborated by"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["text"])

    class Meta:
        verbose_name = _("excerpt")
        verbose_name_plural = _("excerpts")
        ordering = ["source", "start", "end", "id"]
        indexes = [
            models.Index(fields=["source", "start"], name="excerpt_source_start"),
            models.Index(fields=["study", "created_at"], name="excerpt_study_created"),
            # The matrix and the consent checks read (id, source) of every excerpt of a study: from this index
            # alone, not from the table, whose rows carry the text (22 MB at 100× a typical study).
            models.Index(fields=["study", "id"], include=["source"], name="excerpt_study_id_source"),
        ]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="excerpt_not_empty")]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.start}-{self.end}"


class Coding(models.Model):
    """One code applied to one excerpt."""

    # Indexed by coding_unique and coding_code_excerpt, which begin with them.
    excerpt = models.ForeignKey(Excerpt, on_delete=models.CASCADE, related_name="codings", db_index=False)
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="codings", db_index=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coding")
        verbose_name_plural = _("codings")
        constraints = [models.UniqueConstraint(fields=["excerpt", "code"], name="coding_unique")]
        indexes = [models.Index(fields=["code", "excerpt"], name="coding_code_excerpt")]

    def __str__(self) -> str:
        return f"{self.code_id} @ {self.excerpt_id}"


class Memo(models.Model):
    """A memo on the study, a code or a source."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memos")
    code = models.ForeignKey(Code, on_delete=models.CASCADE, null=True, blank=True, related_name="memos")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, null=True, blank=True, related_name="memos")
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("memo"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("memo")
        verbose_name_plural = _("memos")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~(Q(code__isnull=False) & Q(source__isnull=False)), name="memo_one_target")
        ]

    def __str__(self) -> str:
        return self.title


class CodingAction(models.Model):
    """What a researcher did in the coding view, kept so the last action can be undone."""

    class Kind(models.TextChoices):
        EXCERPT_CREATED = "excerpt_created", _("Excerpt created")
        CODE_ADDED = "code_added", _("Code applied")
        CODE_REMOVED = "code_removed", _("Code removed")
        BOUNDARIES_CHANGED = "boundaries_changed", _("Boundaries adjusted")
        EXCERPT_DELETED = "excerpt_deleted", _("Excerpt deleted")
        DETAILS_CHANGED = "details_changed", _("Excerpt details changed")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="+")
    # Indexed by coding_action_recent, which begins with it.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    excerpt_id = models.BigIntegerField(null=True)
    code_id = models.BigIntegerField(null=True)
    before = models.JSONField(default=dict, blank=True, help_text="What undo restores (offsets, codes, details).")
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("coding action")
        verbose_name_plural = _("coding actions")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["actor", "source", "-created_at"], name="coding_action_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%H:%M:%S}"
