"""Chapter 4: the researcher's outline of findings, rendered to PDF and DOCX.

A chapter holds sections (a tree, user-ordered) and each section holds blocks
in order: narrative text, quotes (an excerpt, possibly shortened for print) and
tables. A section may be *fed* by a code, a research question, guide
questions, a group or a site: its quotes are then filled from the excerpts
that feed matches, and the researcher orders, excludes and shortens them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .instruments import GuideQuestion
from .people import InformantGroup, Site
from .questionnaires import QuestionnaireVersion, SecondaryDataset
from .study import ResearchQuestion, Study


class Attribution(models.TextChoices):
    """How a printed quote names who said it."""

    NONE = "none", _("No attribution")
    LEAD_IN = "lead_in", _("Generic lead-ins (“One respondent said: … Another: …”)")
    GROUP = "group", _("Group or role label")
    CODE = "code", _("Informant code")
    TEMPLATE = "template", _("Custom template")


class Chapter(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="chapters")
    title = models.CharField(_("title"), max_length=300)
    number = models.CharField(
        _("chapter number"), max_length=10, default="4", help_text=_("Headings are numbered from it: 4.1, 4.1.1.")
    )
    introduction = models.TextField(_("introduction"), blank=True)
    attribution = models.CharField(
        _("quote attribution"), max_length=10, choices=Attribution.choices, default=Attribution.NONE
    )
    attribution_template = models.CharField(
        _("attribution template"),
        max_length=200,
        blank=True,
        help_text=_("E.g. ({code}, {group}, {session_date}). Fields: code, group, role, site, session, session_date."),
    )
    numbered = models.BooleanField(_("numbered headings"), default=True)
    table_of_contents = models.BooleanField(_("table of contents"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        ordering = ["study", "number", "pk"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def language(self) -> str:
        return self.study.language


class ChapterSection(models.Model):
    class Feed(models.TextChoices):
        TEXT = "text", _("Text only")
        EXCERPTS = "excerpts", _("Hand-picked excerpts")
        CODE = "code", _("Code")
        RESEARCH_QUESTION = "research_question", _("Research question")
        GUIDE_QUESTIONS = "guide_questions", _("Interview-guide questions")
        GROUP = "group", _("Informant group")
        SITE = "site", _("Site")

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="sections")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    position = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("heading"), max_length=300)
    feed = models.CharField(_("fed by"), max_length=20, choices=Feed.choices, default=Feed.TEXT)
    code = models.ForeignKey(
        "interviews.Code", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("code")
    )
    include_descendants = models.BooleanField(_("include sub-codes"), default=True)
    research_question = models.ForeignKey(
        ResearchQuestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    guide_questions = models.ManyToManyField(GuideQuestion, blank=True, related_name="+")
    group = models.ForeignKey(InformantGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    attribution = models.CharField(
        _("quote attribution"),
        max_length=10,
        choices=Attribution.choices,
        blank=True,
        help_text=_("Empty: as the chapter."),
    )
    attribution_template = models.CharField(_("attribution template"), max_length=200, blank=True)
    group_quotes = models.BooleanField(_("group quotes by informant group"), default=False)
    group_order = models.JSONField(_("order of groups"), default=list, blank=True)
    show_count = models.BooleanField(_("show how many informants"), default=True)

    class Meta:
        verbose_name = _("chapter section")
        verbose_name_plural = _("chapter sections")
        ordering = ["chapter", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class ChapterBlock(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Narrative text")
        QUOTE = "quote", _("Quote")
        TABLE = "table", _("Table")

    class Table(models.TextChoices):
        INFORMANTS = "informants", _("Informant overview")
        GROUP_SUMMARY = "group_summary", _("Summary per group (questions × main points)")
        CROSS_GROUP = "cross_group", _("Cross-group matrix with the researcher's summary")
        QUESTIONNAIRE = "questionnaire", _("Questionnaire results")
        DATASET = "dataset", _("Secondary dataset")
        CODE_FREQUENCY = "code_frequency", _("Code frequency per group")

    section = models.ForeignKey(ChapterSection, on_delete=models.CASCADE, related_name="blocks")
    position = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)
    excerpt = models.ForeignKey(
        "interviews.Excerpt", on_delete=models.CASCADE, null=True, blank=True, related_name="chapter_blocks"
    )
    excluded = models.BooleanField(_("left out"), default=False)
    print_text = models.TextField(
        _("shortened for print"), blank=True, help_text=_("The excerpt with omissions marked “(…)”.")
    )
    table = models.CharField(_("table"), max_length=20, choices=Table.choices, blank=True)
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    table_cells = models.JSONField(_("researcher's cells"), default=dict, blank=True)
    questionnaire_version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dataset = models.ForeignKey(SecondaryDataset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("chapter block")
        verbose_name_plural = _("chapter blocks")
        ordering = ["section", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="quote") | models.Q(excerpt__isnull=False), name="chapter_quote_has_excerpt"
            ),
            models.UniqueConstraint(
                fields=["section", "excerpt"], condition=models.Q(kind="quote"), name="chapter_quote_once_per_section"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.position}"
