"""Questionnaires and participant evaluations, and secondary quantitative tables.

A questionnaire's content lives in versions (sections → items → options), like
the guides. A response answers one version. An anonymous questionnaire's
responses can never carry an informant or a session: a check constraint holds
it in the database, responses and answers have random keys (no entry order to
match against attendance) and no timestamps, and their audit rows name the
questionnaire, never the response.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .people import Informant
from .study import Study


class Questionnaire(models.Model):
    """A written form or evaluation, or scale questions asked inside interviews."""

    class Mode(models.TextChoices):
        FORM = "form", _("Written form filled in by participants")
        IN_INTERVIEW = "in_interview", _("Questions asked inside interviews")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="questionnaires")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("When and how it was handed out."))
    mode = models.CharField(_("how it is answered"), max_length=20, choices=Mode.choices, default=Mode.FORM)
    anonymous = models.BooleanField(
        _("anonymous"),
        default=True,
        help_text=_(
            "Anonymous responses can never be linked to an informant. This cannot change once responses exist."
        ),
    )
    session = models.ForeignKey(
        "interviews.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questionnaires",
        verbose_name=_("handed out at session"),
    )
    participants_count = models.PositiveIntegerField(
        _("number of participants asked"),
        null=True,
        blank=True,
        help_text=_("E.g. 8 participants were asked; used to report the response rate."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        if self.anonymous and self.mode == self.Mode.IN_INTERVIEW:
            raise ValidationError({"anonymous": _("Answers given inside an interview are linked to the informant.")})
        if self.session_id and self.session.study_id != self.study_id:
            raise ValidationError({"session": _("The session belongs to another study.")})


class QuestionnaireVersion(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="versions")
    label = models.CharField(_("version"), max_length=50, help_text=_("E.g. v1, piloted, final."))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        ordering = ["questionnaire", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "label"], name="questionnaire_version_unique_label")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} ({self.label})"


class QuestionnaireSection(models.Model):
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("section"), max_length=300)

    class Meta:
        verbose_name = _("questionnaire section")
        verbose_name_plural = _("questionnaire sections")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class QuestionnaireItem(models.Model):
    class Kind(models.TextChoices):
        SCALE = "scale", _("Scale (1–N)")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        RANK = "rank", _("Rank the top k of the options")
        FREE_TEXT = "free_text", _("Free text")

    CHOICE_KINDS = frozenset({Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE, Kind.RANK})

    section = models.ForeignKey(QuestionnaireSection, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("order"), default=0)
    label = models.CharField(_("label"), max_length=20, blank=True, help_text=_("E.g. 2a."))
    text = models.TextField(_("question"))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.SCALE)
    required = models.BooleanField(
        _("required"), default=False, help_text=_("A response cannot be saved without an answer to this item.")
    )
    scale_min = models.SmallIntegerField(_("scale from"), default=1, validators=[MinValueValidator(0)])
    scale_max = models.SmallIntegerField(
        _("scale to"), null=True, blank=True, validators=[MinValueValidator(2), MaxValueValidator(100)]
    )
    scale_min_label = models.CharField(_("label of the lowest value"), max_length=100, blank=True)
    scale_max_label = models.CharField(_("label of the highest value"), max_length=100, blank=True)
    allow_half_points = models.BooleanField(
        _("allow half points"), default=False, help_text=_("For forms where someone marked between two values (7.5).")
    )
    rank_count = models.PositiveSmallIntegerField(
        _("how many to rank"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Rank the top k: e.g. 3 of 6 options."),
    )
    follow_up_prompt = models.CharField(
        _("follow-up comment"),
        max_length=300,
        blank=True,
        help_text=_("E.g. 'Kommentar'. Leave empty for no follow-up comment."),
    )
    follow_up_on = models.ManyToManyField(
        "QuestionnaireOption",
        blank=True,
        related_name="+",
        verbose_name=_("follow-up asked after"),
        help_text=_("Ask the follow-up only after these answers; none chosen means after any answer."),
    )

    class Meta:
        verbose_name = _("questionnaire item")
        verbose_name_plural = _("questionnaire items")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="scale") | Q(scale_max__isnull=False, scale_max__gt=models.F("scale_min")),
                name="questionnaire_item_scale_has_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind="rank") | Q(rank_count__isnull=False), name="questionnaire_item_rank_has_count"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.text[:60]}".strip()

    def clean(self):
        errors = {}
        if self.kind == self.Kind.SCALE:
            if self.scale_max is None:
                errors["scale_max"] = _("A scale needs its highest value.")
            elif self.scale_max <= self.scale_min:
                errors["scale_max"] = _("The highest value must be above the lowest.")
        if self.kind == self.Kind.RANK and not self.rank_count:
            errors["rank_count"] = _("Say how many options are ranked.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_choice(self) -> bool:
        return self.kind in self.CHOICE_KINDS

    def scale_values(self) -> list[Decimal]:
        """Every value a respondent may give, lowest first."""
        if self.kind != self.Kind.SCALE or self.scale_max is None:
            return []
        step = Decimal("0.5") if self.allow_half_points else Decimal(1)
        values, value = [], Decimal(self.scale_min)
        while value <= self.scale_max:
            values.append(value)
            value += step
        return values


class QuestionnaireOption(models.Model):
    item = models.ForeignKey(QuestionnaireItem, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveIntegerField(_("order"), default=0)
    text = models.CharField(_("option"), max_length=300)

    class Meta:
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "text"], name="questionnaire_option_unique_text")]

    def __str__(self) -> str:
        return self.text


class QuestionnaireResponse(models.Model):
    """One filled-in form, or one informant's answers in one interview.

    Deliberately without timestamps and with a random key: the order in which
    anonymous forms were typed in must not be recoverable.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="responses")
    anonymous = models.BooleanField(editable=False)
    informant = models.ForeignKey(
        Informant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="questionnaire_responses",
        verbose_name=_("informant"),
    )
    session = models.ForeignKey(
        "interviews.Session",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="questionnaire_responses",
        verbose_name=_("session"),
    )
    data_quality_note = models.TextField(
        _("data-quality note"), blank=True, help_text=_("E.g. 'ranked all six instead of three'.")
    )

    class Meta:
        verbose_name = _("questionnaire response")
        verbose_name_plural = _("questionnaire responses")
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymous=False) | Q(informant__isnull=True, session__isnull=True),
                name="questionnaire_response_anonymous_unlinked",
            ),
            models.CheckConstraint(
                condition=Q(anonymous=True) | Q(informant__isnull=False),
                name="questionnaire_response_linked_has_informant",
            ),
            models.UniqueConstraint(
                fields=["version", "informant", "session"],
                condition=Q(session__isnull=False),
                name="questionnaire_response_once_per_session",
            ),
            models.UniqueConstraint(
                fields=["version", "informant"],
                condition=Q(session__isnull=True, informant__isnull=False),
                name="questionnaire_response_once_per_informant",
            ),
        ]

    def __str__(self) -> str:
        # Never the key of an anonymous response: it would show up in logs.
        return str(_("Anonymous response")) if self.anonymous else str(self.informant)


class QuestionnaireAnswer(models.Model):
    """The answer to one item: a scale value, chosen options (ranked for rank items) or text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(QuestionnaireResponse, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(QuestionnaireItem, on_delete=models.CASCADE, related_name="answers")
    value = models.DecimalField(_("value"), max_digits=5, decimal_places=1, null=True, blank=True)
    text = models.TextField(_("answer"), blank=True)
    comment = models.TextField(_("follow-up comment"), blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [models.UniqueConstraint(fields=["response", "item"], name="questionnaire_answer_unique_item")]

    def __str__(self) -> str:
        return str(self.item)


class QuestionnaireChoice(models.Model):
    """An option ticked in an answer; ``rank`` is 1 for the most important in a rank item."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    answer = models.ForeignKey(QuestionnaireAnswer, on_delete=models.CASCADE, related_name="choices")
    option = models.ForeignKey(QuestionnaireOption, on_delete=models.CASCADE, related_name="choices")
    rank = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("chosen option")
        verbose_name_plural = _("chosen options")
        constraints = [
            models.UniqueConstraint(fields=["answer", "option"], name="questionnaire_choice_unique_option"),
            models.UniqueConstraint(
                fields=["answer", "rank"], condition=Q(rank__isnull=False), name="questionnaire_choice_unique_rank"
            ),
        ]

    def __str__(self) -> str:
        return str(self.option)


class SecondaryDataset(models.Model):
    """A quantitative table the study did not collect itself, e.g. survey factor scores per site vs a national mean.

    ``columns`` are the headings of the value columns; each row has a label and
    one value per column. A reference column (e.g. "Norge") and reference rows
    (e.g. "Landsgjennomsnitt") are marked so a report can set them apart.
    """

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="secondary_datasets")
    title = models.CharField(_("title"), max_length=200)
    source_note = models.TextField(
        _("source"), blank=True, help_text=_("Who collected the data, when, on what scale; how you got it.")
    )
    row_heading = models.CharField(_("heading of the row labels"), max_length=100, blank=True)
    columns = models.JSONField(_("columns"), default=list)
    reference_column = models.PositiveSmallIntegerField(
        _("reference column"),
        null=True,
        blank=True,
        help_text=_("Position (from 1) of a column such as a national mean."),
    )
    decimal_places = models.PositiveSmallIntegerField(_("decimals shown"), default=1, validators=[MaxValueValidator(4)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("secondary dataset")
        verbose_name_plural = _("secondary datasets")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        errors = {}
        if (
            not isinstance(self.columns, list)
            or not self.columns
            or not all(isinstance(c, str) and c.strip() for c in self.columns)
        ):
            errors["columns"] = _("Give at least one column heading.")
        elif len({c.strip() for c in self.columns}) != len(self.columns):
            errors["columns"] = _("Two columns have the same heading.")
        elif self.reference_column is not None and not 1 <= self.reference_column <= len(self.columns):
            errors["reference_column"] = _("The reference column must be one of the columns.")
        if errors:
            raise ValidationError(errors)


class SecondaryDatasetRow(models.Model):
    dataset = models.ForeignKey(SecondaryDataset, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveIntegerField(_("order"), default=0)
    label = models.CharField(_("row"), max_length=200)
    values = models.JSONField(_("values"), default=list, help_text=_("One number (or nothing) per column."))
    is_reference = models.BooleanField(_("reference row"), default=False, help_text=_("E.g. a national mean."))

    class Meta:
        verbose_name = _("dataset row")
        verbose_name_plural = _("dataset rows")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    def clean(self):
        columns = self.dataset.columns if self.dataset_id else []
        if not isinstance(self.values, list) or len(self.values) != len(columns):
            raise ValidationError({"values": _("Give one value per column (%(count)d).") % {"count": len(columns)}})
        for value in self.values:
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValidationError({"values": _("Values must be numbers or empty.")})
