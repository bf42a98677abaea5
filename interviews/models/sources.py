from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from cases.models import Informant, Study

from .fieldwork import Session


class Source(models.Model):
    """A text that can be coded: a transcript, notes, a document.

    ``text`` is normalised once on import (Unicode NFC, ``\\n`` line ends) and is
    the fixed reference for every excerpt offset. While a source has no
    excerpts its text may be normalised (each edit logged in ``SourceEdit``);
    once coded it never changes — a correction makes a new version.
    """

    class Kind(models.TextChoices):
        TRANSCRIPT = "transcript", _("Verbatim transcript")
        LISTENING_NOTES = "listening_notes", _("Listening notes")
        FIELD_NOTES = "field_notes", _("Field notes")
        RECONCILED_NOTES = "reconciled_notes", _("Reconciled field notes")
        CONDENSED_TABLE = "condensed_table", _("Condensed-meaning table")
        QUESTIONNAIRE = "questionnaire", _("Questionnaire free-text answers")
        DOCUMENT = "document", _("Other document")

    class Format(models.TextChoices):
        PASTED = "paste", _("Pasted text")
        TXT = "txt", _("Plain text")
        DOCX = "docx", _("Word (.docx)")
        ODT = "odt", _("OpenDocument (.odt)")
        PDF = "pdf", _("PDF")

    # Indexed by source_study_current, which begins with it.
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="sources", db_index=False)
    session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="sources", verbose_name=_("session")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TRANSCRIPT)
    title = models.CharField(_("title"), max_length=200)
    observer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("observer"),
        help_text=_("For field notes: whose notes these are."),
    )
    text = models.TextField(_("text"))
    length = models.PositiveIntegerField(default=0)
    imported_from = models.CharField(_("imported from"), max_length=10, choices=Format.choices, default=Format.PASTED)
    original_filename = models.CharField(max_length=255, blank=True)
    detected_encoding = models.CharField(max_length=40, blank=True)
    version = models.PositiveIntegerField(default=1)
    previous_version = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="next_version"
    )
    is_current = models.BooleanField(default=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["study", "is_current"], name="source_study_current")]

    def __str__(self) -> str:
        return self.display_title(self.title, self.version)

    @staticmethod
    def display_title(title: str, version: int) -> str:
        """The title with its version after the first ("Intervju K3 (v2)"), for rows read without the model."""
        return title if version == 1 else f"{title} (v{version})"


class SourceEdit(models.Model):
    """A normalisation edit made before coding (dialect to bokmål, identifying tics removed)."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="edits")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    description = models.CharField(_("what was changed"), max_length=300)
    length_before = models.PositiveIntegerField()
    length_after = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("source edit")
        verbose_name_plural = _("source edits")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.description


class SpeakerLabel(models.Model):
    """A speaker label found in a source (``I3:``, ``Moderator:``) and whom it stands for."""

    class Role(models.TextChoices):
        INFORMANT = "informant", _("Informant")
        MODERATOR = "moderator", _("Moderator / interviewer")
        UNIDENTIFIED = "unidentified", _("Unidentified")

    # Indexed by speaker_label_unique, which begins with it.
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="speaker_labels", db_index=False)
    label = models.CharField(_("label"), max_length=60)
    role = models.CharField(_("stands for"), max_length=15, choices=Role.choices, default=Role.UNIDENTIFIED)
    informant = models.ForeignKey(
        Informant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="speaker_labels",
        verbose_name=_("informant"),
    )

    class Meta:
        verbose_name = _("speaker label")
        verbose_name_plural = _("speaker labels")
        ordering = ["label"]
        constraints = [models.UniqueConstraint(fields=["source", "label"], name="speaker_label_unique")]

    def __str__(self) -> str:
        return self.label


class SpeakerTurnQuerySet(models.QuerySet):
    def of_source(self, source: Source | int) -> SpeakerTurnQuerySet:
        """The source's turns, joined to their labels through that source's labels only.

        A turn's label always belongs to the turn's source; saying so in the query lets PostgreSQL read the
        source's few labels by ``speaker_label_unique`` instead of hashing every label of the installation.
        Without it the planner, which overestimates how many turns a stretch holds (two inequalities taken as
        independent), hashed all 8,000 labels of some 1,150 sources to apply one code: 3.6 ms instead of 0.08 ms,
        growing with the number of studies on the server rather than with the study at hand.
        """
        return self.filter(source=source, speaker__source_id=F("source_id"))

    def overlapping(self, source: Source | int, low: int | F, high: int | F) -> SpeakerTurnQuerySet:
        """The turns of ``source`` that overlap ``[low, high)``: starting before ``high`` and ending after ``low``.

        ``low`` and ``high`` may be references (``OuterRef("start")``) for the turns overlapping each excerpt.
        """
        return self.of_source(source).filter(start__lt=high, end__gt=low)


class SpeakerTurn(models.Model):
    """The span of one speaker's turn: from its label to the next turn (offsets into ``Source.text``)."""

    # Indexed by turn_source_start, which begins with it.
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="turns", db_index=False)
    speaker = models.ForeignKey(SpeakerLabel, on_delete=models.CASCADE, related_name="turns")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    label_end = models.PositiveIntegerField(help_text="Where the label (``I3:``) ends and the speech begins.")

    objects = SpeakerTurnQuerySet.as_manager()

    class Meta:
        verbose_name = _("speaker turn")
        verbose_name_plural = _("speaker turns")
        ordering = ["source", "start"]
        indexes = [models.Index(fields=["source", "start"], name="turn_source_start")]

    def __str__(self) -> str:
        return f"{self.speaker.label} {self.start}–{self.end}"
