"""The codebook: a hierarchy of codes, each change validated and audited in one transaction.

Positions are dense (0, 1, 2 …) among the children of one parent; every service
that moves a code renumbers the siblings it leaves and the siblings it joins.
A code is never moved under itself or one of its descendants: the check reads the
study's whole ``parent_id`` map once and walks it in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from cases.models import GuideQuestion, InstrumentVersion, Study, User
from cases.services.audit import audit_record, changed_fields, snapshot
from interviews.models import Code, Coding

SHORTCUTS = "123456789"
SEED_TEXT_LIMIT = 60  # characters of a guide question kept in its code's name
UPDATABLE_FIELDS = ("name", "colour", "description", "origin", "research_question", "shortcut")


# Shared checks -------------------------------------------------------------------------------------------------------


def _parent_map(study_id: int) -> dict[int, int | None]:
    return dict(Code.objects.filter(study_id=study_id).values_list("pk", "parent_id"))


def subtree_ids(code: Code) -> set[int]:
    """The ids of ``code`` and all its descendants, from one query."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in _parent_map(code.study_id).items():
        children.setdefault(parent_id, []).append(pk)
    found, stack = set(), [code.pk]
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.add(pk)
            stack.extend(children.get(pk, []))
    return found


def _check_shortcut(code: Code) -> None:
    if not code.shortcut:
        return
    if code.shortcut not in SHORTCUTS:
        raise ValidationError({"shortcut": _("A shortcut is one digit from 1 to 9.")})
    taken = Code.objects.filter(study_id=code.study_id, shortcut=code.shortcut).exclude(pk=code.pk).first()
    if taken is not None:
        raise ValidationError(
            {
                "shortcut": _("The shortcut %(key)s is already used by “%(name)s”.")
                % {"key": code.shortcut, "name": taken.name}
            }
        )


def _check_guide_questions(study_id: int, questions: Iterable[GuideQuestion]) -> list[GuideQuestion]:
    questions = list(questions)
    ids = {question.pk for question in questions}
    own = set(
        GuideQuestion.objects.filter(pk__in=ids, theme__version__instrument__study_id=study_id).values_list(
            "pk", flat=True
        )
    )
    if own != ids:
        raise ValidationError({"guide_questions": _("One of the guide questions belongs to another study.")})
    return questions


def _next_position(study_id: int, parent_id: int | None) -> int:
    last = Code.objects.filter(study_id=study_id, parent_id=parent_id).aggregate(m=Max("position"))["m"]
    return 0 if last is None else last + 1


def _write_positions(rows: list[Code]) -> None:
    """Number ``rows`` 0, 1, 2 … in list order, writing only the rows whose position changes."""
    for position, row in enumerate(rows):
        if row.position != position:
            Code.objects.filter(pk=row.pk).update(position=position)
            row.position = position


def _siblings(study_id: int, parent_id: int | None, *, without: int | None = None) -> list[Code]:
    rows = (
        Code.objects.select_for_update()
        .filter(study_id=study_id, parent_id=parent_id)
        .order_by("position", "name", "id")
    )
    if without is not None:
        rows = rows.exclude(pk=without)
    return list(rows)


def build_code(*, study: Study, actor: User, name: str, parent: Code | None, guide_questions=(), **fields: Any) -> Code:
    """Validate and save a new code at the end of its siblings (unless ``position`` is given); no audit row."""
    if "position" not in fields:
        fields["position"] = _next_position(study.pk, parent.pk if parent else None)
    code = Code(study=study, parent=parent, name=name.strip(), created_by=actor, **fields)
    code.full_clean()
    _check_shortcut(code)
    questions = _check_guide_questions(study.pk, guide_questions)
    code.save()
    if questions:
        code.guide_questions.set(questions)
    return code


# Create, update, move, reorder ----------------------------------------------------------------------------------------


def code_create(*, study: Study, actor: User, name: str, parent: Code | None = None, **fields) -> Code:
    """Create a code at the end of its siblings.

    Before: ``parent`` (if any) is a code of ``study``; ``guide_questions`` (optional) are the study's own.
    After: the code exists, validated and audited.
    """
    with transaction.atomic():
        code = build_code(study=study, actor=actor, name=name, parent=parent, **fields)
        audit_record(
            study=study,
            actor=actor,
            action="code.created",
            target=code,
            label=code.name,
            parent=parent.pk if parent else None,
        )
    return code


def code_update(*, code: Code, actor: User, data: dict[str, Any]) -> Code:
    """Change a code's name, colour, definition, origin, research question, shortcut and guide questions.

    ``data`` holds any of :data:`UPDATABLE_FIELDS` and ``guide_questions``. The
    parent is changed only by :func:`code_move`, the status only by merge and drop.
    """
    unknown = set(data) - set(UPDATABLE_FIELDS) - {"guide_questions"}
    if unknown:
        raise ValueError(f"code_update cannot change {sorted(unknown)}")
    with transaction.atomic():
        before = snapshot(Code.objects.get(pk=code.pk))
        before_questions = set(code.guide_questions.values_list("pk", flat=True))
        for name, value in data.items():
            if name != "guide_questions":
                setattr(code, name, value.strip() if name == "name" else value)
        code.full_clean()
        _check_shortcut(code)
        code.save()
        fields = changed_fields(code, before)
        if "guide_questions" in data:
            questions = _check_guide_questions(code.study_id, data["guide_questions"])
            if {q.pk for q in questions} != before_questions:
                code.guide_questions.set(questions)
                fields.append("guide_questions")
        if fields:
            audit_record(
                study=code.study, actor=actor, action="code.updated", target=code, label=code.name, fields=fields
            )
    return code


def code_move(*, code: Code, actor: User, parent: Code | None, position: int | None = None) -> Code:
    """Put ``code`` under ``parent`` (None: top level) at ``position`` among its new siblings (None: last).

    Refuses a parent in another study and a parent inside the code's own
    subtree, writing nothing. After: both the old and the new siblings are
    numbered densely.
    """
    if parent is not None:
        if parent.study_id != code.study_id:
            raise ValidationError({"parent": _("The new parent code belongs to another study.")})
        if parent.pk in subtree_ids(code):
            raise ValidationError(
                {
                    "parent": _(
                        "“%(code)s” cannot be moved under “%(parent)s”: that is the code itself or one of its sub-codes."
                    )
                    % {"code": code.name, "parent": parent.name}
                }
            )
    new_parent_id = parent.pk if parent else None
    with transaction.atomic():
        old_parent_id = code.parent_id
        joining = _siblings(code.study_id, new_parent_id, without=code.pk)
        index = len(joining) if position is None else max(0, min(int(position), len(joining)))
        joining.insert(index, code)
        code.parent = parent
        code.full_clean()
        _write_positions(joining)
        code.save(update_fields=["parent", "position"])
        if old_parent_id != new_parent_id:
            _write_positions(_siblings(code.study_id, old_parent_id, without=code.pk))
        audit_record(
            study=code.study,
            actor=actor,
            action="code.moved",
            target=code,
            label=code.name,
            old_parent=old_parent_id,
            parent=new_parent_id,
            position=code.position,
        )
    return code


def code_reorder(*, code: Code, actor: User, direction: str) -> bool:
    """Swap ``code`` with the sibling above (``"up"``) or below (``"down"``); False when already at that end."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Move a code up or down."))
    with transaction.atomic():
        rows = _siblings(code.study_id, code.parent_id)
        index = next(i for i, row in enumerate(rows) if row.pk == code.pk)
        target = index - 1 if direction == "up" else index + 1
        if not 0 <= target < len(rows):
            return False
        rows[index], rows[target] = rows[target], rows[index]
        _write_positions(rows)
        audit_record(
            study=code.study, actor=actor, action="code.reordered", target=code, label=code.name, direction=direction
        )
    return True


# Merge, drop, delete --------------------------------------------------------------------------------------------------


@dataclass
class MergeResult:
    codings_moved: int
    duplicates_removed: int
    children_moved: int


def code_merge(*, source_code: Code, target_code: Code, actor: User) -> MergeResult:
    """Merge ``source_code`` into ``target_code``: its excerpts and sub-codes follow.

    Before: both are active codes of one study and the target is not inside the
    source's subtree. After: every coding of the source is on the target (an
    excerpt that already had the target keeps its one coding), the source's
    children sit last under the target, and the source is ``merged`` into the target.
    """
    if source_code.study_id != target_code.study_id:
        raise ValidationError(_("The codes belong to different studies."))
    if source_code.pk == target_code.pk:
        raise ValidationError(_("Choose another code to merge into."))
    if source_code.status != Code.Status.ACTIVE or target_code.status != Code.Status.ACTIVE:
        raise ValidationError(_("Only active codes can be merged."))
    if target_code.pk in subtree_ids(source_code):
        raise ValidationError(
            _("“%(target)s” is a sub-code of “%(source)s”; move it out first or merge the other way round.")
            % {"target": target_code.name, "source": source_code.name}
        )
    with transaction.atomic():
        duplicates, _rows = Coding.objects.filter(code=source_code, excerpt__codings__code=target_code).delete()
        moved = Coding.objects.filter(code=source_code).update(code=target_code)
        children = _siblings(source_code.study_id, source_code.pk)
        start = _next_position(target_code.study_id, target_code.pk)
        for offset, child in enumerate(children):
            Code.objects.filter(pk=child.pk).update(parent=target_code, position=start + offset)
        # Codes merged into the source earlier now point where their excerpts went.
        Code.objects.filter(merged_into=source_code).update(merged_into=target_code)
        source_code.status = Code.Status.MERGED
        source_code.merged_into = target_code
        source_code.shortcut = ""
        source_code.full_clean()
        source_code.save(update_fields=["status", "merged_into", "shortcut"])
        result = MergeResult(codings_moved=moved, duplicates_removed=duplicates, children_moved=len(children))
        audit_record(
            study=source_code.study,
            actor=actor,
            action="code.merged",
            target=source_code,
            label=source_code.name,
            into=target_code.pk,
            codings_moved=moved,
            duplicates_removed=duplicates,
            children_moved=len(children),
        )
    return result


def code_drop(*, code: Code, actor: User) -> Code:
    """Mark an active code dropped: its codings stay, but the coding view no longer offers it."""
    if code.status != Code.Status.ACTIVE:
        raise ValidationError(_("Only an active code can be dropped."))
    with transaction.atomic():
        code.status = Code.Status.DROPPED
        code.shortcut = ""
        code.save(update_fields=["status", "shortcut"])
        audit_record(study=code.study, actor=actor, action="code.dropped", target=code, label=code.name)
    return code


def code_delete(*, code: Code, actor: User) -> None:
    """Delete a code that nothing depends on; otherwise say what to do instead and write nothing."""
    if code.codings.exists():
        raise ValidationError(
            _("“%(name)s” has coded excerpts and cannot be deleted. Drop it, or merge it into another code.")
            % {"name": code.name}
        )
    if code.children.exists():
        raise ValidationError(_("“%(name)s” has sub-codes. Move or delete them first.") % {"name": code.name})
    if code.merged_from.exists():
        raise ValidationError(
            _("Other codes were merged into “%(name)s”; keep it so their history stays readable.") % {"name": code.name}
        )
    if code.memos.exists():
        raise ValidationError(_("“%(name)s” has memos. Delete them or move their text first.") % {"name": code.name})
    with transaction.atomic():
        parent_id = code.parent_id
        audit_record(
            study=code.study, actor=actor, action="code.deleted", target=code, label=code.name, parent=parent_id
        )
        code.delete()
        _write_positions(_siblings(code.study_id, parent_id))


# Seeding from the interview guide ------------------------------------------------------------------------------------


def short_text(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.-–")
    return f"{cut}…"


@dataclass
class SeedResult:
    created: int = 0
    skipped: int = 0


def codebook_seed_from_guide(*, study: Study, actor: User, version: InstrumentVersion) -> SeedResult:
    """One parent code per guide theme and one code per guide question, linked to the question and its RQ.

    Idempotent: a question that already has a code with origin "guide" linked
    to it is skipped, and its theme's existing code is reused.
    """
    if version.instrument.study_id != study.pk:
        raise ValidationError(_("That guide belongs to another study."))
    themes = list(version.themes.prefetch_related("questions__research_question").order_by("position", "id"))
    question_ids = [question.pk for theme in themes for question in theme.questions.all()]
    if not question_ids:
        raise ValidationError(_("This guide version has no questions yet. Add them under Guides first."))
    result = SeedResult()
    with transaction.atomic():
        links = Code.guide_questions.through.objects.filter(
            code__study=study, code__origin=Code.Origin.GUIDE, guidequestion_id__in=question_ids
        ).values_list("guidequestion_id", "code__parent_id")
        seeded = dict(links)
        for theme in themes:
            questions = list(theme.questions.all())
            pending = [question for question in questions if question.pk not in seeded]
            result.skipped += len(questions) - len(pending)
            if not pending:
                continue
            parent = _theme_code(study, theme.title, [seeded[q.pk] for q in questions if q.pk in seeded])
            if parent is None:
                parent = build_code(
                    study=study, actor=actor, name=short_text(theme.title, 200), parent=None, origin=Code.Origin.GUIDE
                )
                result.created += 1
            for question in pending:
                label = f"{question.label} " if question.label else ""
                fields: dict[str, Any] = {"origin": Code.Origin.GUIDE, "guide_questions": [question]}
                rq = question.research_question
                if rq is not None and rq.study_id == study.pk:
                    fields.update(research_question=rq, colour=rq.colour)
                build_code(
                    study=study,
                    actor=actor,
                    name=label + short_text(question.text, SEED_TEXT_LIMIT),
                    parent=parent,
                    **fields,
                )
                result.created += 1
        if result.created:
            audit_record(
                study=study,
                actor=actor,
                action="codebook.seeded",
                target=version,
                label=str(version)[:200],
                created=result.created,
                skipped=result.skipped,
            )
    return result


def _theme_code(study: Study, title: str, seeded_parent_ids: list[int | None]) -> Code | None:
    """The code already standing for a theme: the parent of its seeded questions, else a top-level guide code of that name."""
    parent_ids = [pk for pk in seeded_parent_ids if pk is not None]
    if parent_ids:
        parent = Code.objects.filter(study=study, pk=parent_ids[0], status=Code.Status.ACTIVE).first()
        if parent is not None:
            return parent
    return Code.objects.filter(
        study=study, parent=None, origin=Code.Origin.GUIDE, status=Code.Status.ACTIVE, name=short_text(title, 200)
    ).first()
