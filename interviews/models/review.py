from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.models import Study

from .codebook import Code
from .excerpts import Excerpt


class ReviewBatch(models.Model):
    """What a researcher submits for review: excerpts, a code's definition, or the whole codebook.

    draft → submitted → approved | changes_requested → (resubmitted) submitted → approved.
    Only services in ``interviews.services.review`` change ``state``.
    """

    class Kind(models.TextChoices):
        EXCERPTS = "excerpts", _("Coded excerpts")
        CODE_DEFINITION = "code_definition", _("A code's definition")
        CODEBOOK = "codebook", _("The whole codebook")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="review_batches")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.EXCERPTS)
    title = models.CharField(_("title"), max_length=200)
    code = models.ForeignKey(
        Code, on_delete=models.SET_NULL, null=True, blank=True, related_name="review_batches", verbose_name=_("code")
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT, db_index=True)
    round = models.PositiveSmallIntegerField(_("round"), default=0, help_text="How many times it has been submitted.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review batch")
        verbose_name_plural = _("review batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ReviewItem(models.Model):
    """One excerpt in a batch and the reviewer's decision on it in the current round."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Not yet reviewed")
        APPROVED = "approved", _("Approved")
        CHANGE_REQUESTED = "change_requested", _("Change requested")

    batch = models.ForeignKey(ReviewBatch, on_delete=models.CASCADE, related_name="items")
    excerpt = models.ForeignKey(Excerpt, on_delete=models.CASCADE, related_name="review_items")
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        ordering = ["batch", "id"]
        constraints = [models.UniqueConstraint(fields=["batch", "excerpt"], name="review_item_unique")]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.excerpt_id}: {self.decision}"


class ReviewComment(models.Model):
    """A comment in a thread on an excerpt, a code, a source or a session; the researcher answers in the thread."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="review_comments")
    excerpt = models.ForeignKey(Excerpt, on_delete=models.CASCADE, null=True, blank=True, related_name="comments")
    code = models.ForeignKey(Code, on_delete=models.CASCADE, null=True, blank=True, related_name="comments")
    source = models.ForeignKey(
        "interviews.Source", on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    session = models.ForeignKey(
        "interviews.Session", on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    batch = models.ForeignKey(ReviewBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="comments")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="comment_has_one_target",
                condition=(
                    Q(excerpt__isnull=False, code__isnull=True, source__isnull=True, session__isnull=True)
                    | Q(excerpt__isnull=True, code__isnull=False, source__isnull=True, session__isnull=True)
                    | Q(excerpt__isnull=True, code__isnull=True, source__isnull=False, session__isnull=True)
                    | Q(excerpt__isnull=True, code__isnull=True, source__isnull=True, session__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class CodebookSnapshot(models.Model):
    """A codebook version the supervisor approved, frozen: codes, definitions, hierarchy and counts."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="codebook_snapshots")
    version = models.PositiveIntegerField(_("version"))
    batch = models.OneToOneField(ReviewBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="snapshot")
    codes = models.JSONField(
        help_text="[{id, parent_id, path, name, definition, colour, status, excerpts, informants}]"
    )
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("approved codebook version")
        verbose_name_plural = _("approved codebook versions")
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["study", "version"], name="codebook_snapshot_version")]

    def __str__(self) -> str:
        return f"v{self.version}"
