"""Writes of the chapter-4 composer. Every service checks that what it links belongs to the chapter's study,
runs in one transaction and audits there. Reads (the document) live in ``cases.chapters.document``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from cases.chapters import feeds
from cases.chapters.document import ordered_sections
from cases.chapters.quoting import check_shortening, check_template
from cases.models import (
    Attribution,
    Chapter,
    ChapterBlock,
    ChapterSection,
    GuideQuestion,
    InformantGroup,
    ReportJob,
    ResearchQuestion,
    SecondaryDataset,
    Site,
    Study,
    User,
)
from interviews.models import Code, Excerpt
from interviews.selectors_analysis import code_tree

from .audit import audit_record

Feed = ChapterSection.Feed
CHAPTER_FIELDS = (
    "title",
    "number",
    "introduction",
    "attribution",
    "attribution_template",
    "numbered",
    "table_of_contents",
)


def _check_attribution(mode: str, template: str) -> None:
    if mode == Attribution.TEMPLATE and not template.strip():
        raise ValidationError({"attribution_template": _("A custom attribution needs a template.")})
    if template:
        try:
            check_template(template)
        except ValidationError as error:
            raise ValidationError({"attribution_template": error.messages}) from None


def _audit(obj: ChapterSection | ChapterBlock, actor: User, action: str, **data) -> None:
    """The audit row of a change to a section (labelled by its heading) or a block (by its kind)."""
    if isinstance(obj, ChapterSection):
        audit_record(study=obj.chapter.study, actor=actor, action=action, target=obj, label=obj.title, **data)
    else:
        label = obj.get_table_display() if obj.table else obj.get_kind_display()
        audit_record(study=obj.section.chapter.study, actor=actor, action=action, target=obj, label=label, **data)


def chapter_create(*, study: Study, actor: User, title: str, **fields) -> Chapter:
    chapter = Chapter(study=study, title=title, created_by=actor)
    for name, value in fields.items():
        if name not in CHAPTER_FIELDS:
            raise ValidationError(_("Unknown chapter field %(name)s.") % {"name": name})
        setattr(chapter, name, value)
    _check_attribution(chapter.attribution, chapter.attribution_template)
    with transaction.atomic():
        chapter.full_clean()
        chapter.save()
        audit_record(study=study, actor=actor, action="chapter.created", target=chapter, label=chapter.title)
    return chapter


def chapter_update(*, chapter: Chapter, actor: User, **fields) -> Chapter:
    for name, value in fields.items():
        if name not in CHAPTER_FIELDS:
            raise ValidationError(_("Unknown chapter field %(name)s.") % {"name": name})
        setattr(chapter, name, value)
    _check_attribution(chapter.attribution, chapter.attribution_template)
    with transaction.atomic():
        chapter.full_clean()
        chapter.save()
        audit_record(study=chapter.study, actor=actor, action="chapter.updated", target=chapter, label=chapter.title)
    return chapter


def chapter_delete(*, chapter: Chapter, actor: User) -> None:
    with transaction.atomic():
        audit_record(study=chapter.study, actor=actor, action="chapter.deleted", target=chapter, label=chapter.title)
        chapter.delete()


def _own(study: Study, obj, label: str):
    """``obj`` if it is None or belongs to ``study``; a forged id from another study is refused."""
    if obj is None:
        return None
    owner = getattr(obj, "study_id", None)
    if owner is None and isinstance(obj, GuideQuestion):
        owner = obj.theme.version.instrument.study_id
    if owner != study.pk:
        raise ValidationError(_("The %(what)s is not part of this study.") % {"what": label})
    return obj


def section_create(
    *,
    chapter: Chapter,
    actor: User,
    title: str,
    parent: ChapterSection | None = None,
    feed: str = Feed.TEXT,
    code: Code | None = None,
    include_descendants: bool = True,
    research_question: ResearchQuestion | None = None,
    guide_questions: Sequence[GuideQuestion] = (),
    group: InformantGroup | None = None,
    site: Site | None = None,
    attribution: str = "",
    attribution_template: str = "",
    group_quotes: bool = False,
    group_order: Sequence[int] = (),
    show_count: bool = True,
    fill_quotes: bool = True,
) -> ChapterSection:
    """Before: everything linked belongs to the chapter's study. After: the section is last among its siblings,
    and, when a feed is chosen and ``fill_quotes``, holds a quote for each excerpt the feed matches (a group
    section whose subsections carry the quotes is made with ``fill_quotes=False``)."""
    study = chapter.study
    if parent is not None and parent.chapter_id != chapter.pk:
        raise ValidationError(_("The parent section is not part of this chapter."))
    _own(study, code, _("code"))
    _own(study, research_question, _("research question"))
    _own(study, group, _("group"))
    _own(study, site, _("site"))
    for question in guide_questions:
        _own(study, question, _("interview-guide question"))
    group_ids = set(study.groups.values_list("pk", flat=True))
    if any(int(g) not in group_ids for g in group_order):
        raise ValidationError(_("The group order names a group that is not part of this study."))
    required = {
        Feed.CODE: code,
        Feed.RESEARCH_QUESTION: research_question,
        Feed.GUIDE_QUESTIONS: list(guide_questions) or None,
        Feed.GROUP: group,
        Feed.SITE: site,
    }
    if feed in required and not required[feed]:
        raise ValidationError(_("Choose what feeds the section (%(feed)s).") % {"feed": Feed(feed).label})
    _check_attribution(attribution or chapter.attribution, attribution_template or chapter.attribution_template)
    with transaction.atomic():
        last = ChapterSection.objects.filter(chapter=chapter, parent=parent).aggregate(m=Max("position"))["m"]
        section = ChapterSection(
            chapter=chapter,
            parent=parent,
            position=(last or 0) + 1,
            title=title,
            feed=feed,
            code=code if feed == Feed.CODE else None,
            include_descendants=include_descendants,
            research_question=research_question if feed == Feed.RESEARCH_QUESTION else None,
            group=group if feed == Feed.GROUP else None,
            site=site if feed == Feed.SITE else None,
            attribution=attribution,
            attribution_template=attribution_template,
            group_quotes=group_quotes,
            group_order=[int(g) for g in group_order],
            show_count=show_count,
        )
        section.full_clean()
        section.save()
        if feed == Feed.GUIDE_QUESTIONS:
            section.guide_questions.set(guide_questions)
        _audit(section, actor, "chapter.section_created")
        if fill_quotes:
            section_fill_quotes(section=section, actor=actor)
    return section


def section_update(*, section: ChapterSection, actor: User, **fields) -> ChapterSection:
    allowed = {"title", "attribution", "attribution_template", "group_quotes", "group_order", "show_count"}
    if set(fields) - allowed:
        raise ValidationError(_("Only the heading, attribution and grouping of a section can be changed."))
    study = section.chapter.study
    if "group_order" in fields:
        group_ids = set(study.groups.values_list("pk", flat=True))
        if any(int(g) not in group_ids for g in fields["group_order"]):
            raise ValidationError(_("The group order names a group that is not part of this study."))
        fields["group_order"] = [int(g) for g in fields["group_order"]]
    for name, value in fields.items():
        setattr(section, name, value)
    _check_attribution(
        section.attribution or section.chapter.attribution,
        section.attribution_template or section.chapter.attribution_template,
    )
    with transaction.atomic():
        section.full_clean()
        section.save()
        _audit(section, actor, "chapter.section_updated")
    return section


def section_fill_quotes(*, section: ChapterSection, actor: User) -> int:
    """Add, at the end, a quote for every excerpt of the feed the section does not quote yet; returns how many."""
    chapter = section.chapter
    ancestors = []
    for candidate, candidate_ancestors, *_rest in ordered_sections(chapter):
        if candidate.pk == section.pk:
            ancestors = candidate_ancestors
            break
    excerpts = feeds.feed_excerpts(
        section, ancestors, code_tree(chapter.study), list(section.guide_questions.values_list("pk", flat=True))
    )
    if excerpts is None:
        return 0
    quoted = ChapterBlock.objects.filter(section=section, kind=ChapterBlock.Kind.QUOTE).values("excerpt_id")
    new = list(
        excerpts.exclude(pk__in=quoted)
        .order_by("source__session__date", "source__session__code", "source_id", "start")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        last = _last_position(section)
        ChapterBlock.objects.bulk_create(
            ChapterBlock(section=section, kind=ChapterBlock.Kind.QUOTE, excerpt_id=pk, position=last + i)
            for i, pk in enumerate(new, start=1)
        )
        if new:
            _audit(section, actor, "chapter.quotes_filled", quotes=len(new))
    return len(new)


def _last_position(section: ChapterSection) -> int:
    return ChapterBlock.objects.filter(section=section).aggregate(m=Max("position"))["m"] or 0


def _siblings_move(queryset, item, direction: str) -> None:
    if direction not in {"up", "down"}:
        raise ValidationError(_("Move up or down."))
    siblings = list(queryset.order_by("position", "pk"))
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])


def section_move(*, section: ChapterSection, actor: User, direction: str) -> None:
    with transaction.atomic():
        siblings = ChapterSection.objects.select_for_update().filter(chapter=section.chapter, parent=section.parent_id)
        _siblings_move(siblings, section, direction)
        _audit(section, actor, "chapter.section_moved", direction=direction)


def section_delete(*, section: ChapterSection, actor: User) -> None:
    with transaction.atomic():
        _audit(section, actor, "chapter.section_deleted")
        section.delete()


def text_block_create(*, section: ChapterSection, actor: User, text: str) -> ChapterBlock:
    if not text.strip():
        raise ValidationError({"text": _("Write some text.")})
    with transaction.atomic():
        block = ChapterBlock(
            section=section, kind=ChapterBlock.Kind.TEXT, text=text, position=_last_position(section) + 1
        )
        block.full_clean()
        block.save()
        _audit(block, actor, "chapter.block_created")
    return block


def text_block_update(*, block: ChapterBlock, actor: User, text: str) -> ChapterBlock:
    if block.kind != ChapterBlock.Kind.TEXT:
        raise ValidationError(_("Only a text block has text."))
    if not text.strip():
        raise ValidationError({"text": _("Write some text.")})
    with transaction.atomic():
        block.text = text
        block.full_clean()
        block.save(update_fields=["text"])
        _audit(block, actor, "chapter.block_updated")
    return block


def quote_add(*, section: ChapterSection, actor: User, excerpt: Excerpt) -> ChapterBlock:
    """Quote a hand-picked excerpt at the end of the section. The excerpt must be the study's, quoted once here."""
    _own(section.chapter.study, excerpt, _("excerpt"))
    if ChapterBlock.objects.filter(section=section, kind=ChapterBlock.Kind.QUOTE, excerpt=excerpt).exists():
        raise ValidationError(_("The section already quotes this excerpt."))
    with transaction.atomic():
        block = ChapterBlock.objects.create(
            section=section, kind=ChapterBlock.Kind.QUOTE, excerpt=excerpt, position=_last_position(section) + 1
        )
        _audit(block, actor, "chapter.quote_added")
    return block


def quote_update(
    *, block: ChapterBlock, actor: User, excluded: bool | None = None, print_text: str | None = None
) -> ChapterBlock:
    """Exclude/include a quote or shorten it for print; the excerpt itself stays verbatim.

    A shortened text must be the excerpt with parts left out and each gap marked "(…)".
    """
    if block.kind != ChapterBlock.Kind.QUOTE:
        raise ValidationError(_("Only a quote can be shortened or left out."))
    fields = []
    if excluded is not None:
        block.excluded = excluded
        fields.append("excluded")
    if print_text is not None:
        try:
            block.print_text = check_shortening(print_text, block.excerpt.text)
        except ValidationError as error:
            raise ValidationError({"print_text": error.messages}) from None
        fields.append("print_text")
    with transaction.atomic():
        block.save(update_fields=fields)
        _audit(block, actor, "chapter.quote_updated", fields=fields)
    return block


def table_block_create(
    *,
    section: ChapterSection,
    actor: User,
    table: str,
    caption: str = "",
    questionnaire_version=None,
    dataset: SecondaryDataset | None = None,
) -> ChapterBlock:
    study = section.chapter.study
    if table not in ChapterBlock.Table.values:
        raise ValidationError({"table": _("Choose a kind of table.")})
    if questionnaire_version is not None and questionnaire_version.questionnaire.study_id != study.pk:
        raise ValidationError(_("The questionnaire is not part of this study."))
    _own(study, dataset, _("dataset"))
    if table == ChapterBlock.Table.QUESTIONNAIRE and questionnaire_version is None:
        raise ValidationError({"questionnaire_version": _("Choose the questionnaire.")})
    if table == ChapterBlock.Table.DATASET and dataset is None:
        raise ValidationError({"dataset": _("Choose the dataset.")})
    with transaction.atomic():
        block = ChapterBlock(
            section=section,
            kind=ChapterBlock.Kind.TABLE,
            table=table,
            caption=caption,
            questionnaire_version=questionnaire_version,
            dataset=dataset,
            position=_last_position(section) + 1,
        )
        block.full_clean()
        block.save()
        _audit(block, actor, "chapter.block_created")
    return block


def table_cells_update(
    *, block: ChapterBlock, actor: User, cells: dict[str, str], allowed_keys: Iterable[str]
) -> ChapterBlock:
    """The researcher's own cells of a summary table; only the table's row keys are accepted."""
    if block.kind != ChapterBlock.Kind.TABLE:
        raise ValidationError(_("Only a table has cells."))
    allowed = set(allowed_keys)
    if set(cells) - allowed:
        raise ValidationError(_("The table has no such row."))
    with transaction.atomic():
        block.table_cells = {**block.table_cells, **{k: v.strip()[:2000] for k, v in cells.items()}}
        block.save(update_fields=["table_cells"])
        _audit(block, actor, "chapter.block_updated")
    return block


def block_move(*, block: ChapterBlock, actor: User, direction: str) -> None:
    with transaction.atomic():
        _siblings_move(ChapterBlock.objects.select_for_update().filter(section=block.section_id), block, direction)
        _audit(block, actor, "chapter.block_moved", direction=direction)


def block_reorder(*, section: ChapterSection, actor: User, block_ids: Sequence[int]) -> None:
    """Set the order of all the section's blocks at once (drag and drop); the ids must be exactly its blocks."""
    with transaction.atomic():
        blocks = {b.pk: b for b in ChapterBlock.objects.select_for_update().filter(section=section)}
        if sorted(block_ids) != sorted(blocks):
            raise ValidationError(_("The new order must list each of the section's blocks once."))
        for position, pk in enumerate(block_ids, start=1):
            if blocks[pk].position != position:
                blocks[pk].position = position
                blocks[pk].save(update_fields=["position"])
        _audit(section, actor, "chapter.blocks_reordered")


def block_delete(*, block: ChapterBlock, actor: User) -> None:
    with transaction.atomic():
        _audit(block, actor, "chapter.block_deleted")
        block.delete()


def chapter_export_request(*, chapter: Chapter, actor: User, kind: str, acknowledged: bool, warnings: int) -> ReportJob:
    """Queue a chapter file. Before: the user has seen the consent gate and, if there are re-identification
    warnings, acknowledged them. After: a queued ReportJob pointing at the chapter, enqueued on commit."""
    from cases.tasks import render_report

    if kind not in (ReportJob.Kind.CHAPTER_PDF, ReportJob.Kind.CHAPTER_DOCX):
        raise ValidationError(_("Choose PDF or Word."))
    if warnings and not acknowledged:
        raise ValidationError(_("Acknowledge the re-identification warnings before exporting."))
    study = chapter.study
    with transaction.atomic():
        job = ReportJob.objects.create(
            study=study, chapter=chapter, kind=kind, requested_by=actor, language=study.language
        )
        audit_record(
            study=study,
            actor=actor,
            action="report.requested",
            target=job,
            label=job.get_kind_display(),
            chapter=chapter.pk,
            warnings_acknowledged=warnings if acknowledged else 0,
        )
        render_report.delay_on_commit(job.pk)
    return job
