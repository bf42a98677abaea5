"""Codebook sign-off: a reviewer freezes the current codebook as an approved, numbered version.

A snapshot keeps, per code, what the methods chapter describes: the hierarchy
(``parent_id`` and the path), name, definition, colour, status and the counts of
excerpts and informants at the moment of approval. Later edits are shown as a
diff between the snapshot and the live codebook; the snapshot never changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max
from django.utils.translation import gettext as _

from cases.models import Membership, Study, User
from cases.services.audit import audit_record
from interviews.models import Code, CodebookSnapshot, Coding, ReviewBatch
from interviews.selectors_codebook import build_tree
from interviews.services.review import review_batch_decide, reviewer_roles


def can_sign_off(study: Study, user: User) -> bool:
    role = Membership.objects.filter(study=study, user=user).values_list("role", flat=True).first()
    return role is not None and role in reviewer_roles(study)


def current_codebook(study: Study) -> list[dict[str, Any]]:
    """The study's codes as snapshot rows, depth-first in codebook order; three queries (codes and the two counts)."""
    codes = list(Code.objects.filter(study=study))
    codings = Coding.objects.filter(code__study=study).order_by().values("code_id")
    excerpts = dict(codings.annotate(n=Count("excerpt", distinct=True)).values_list("code_id", "n"))
    informants = dict(codings.annotate(n=Count("excerpt__speakers", distinct=True)).values_list("code_id", "n"))
    return [
        {
            "id": code.pk,
            "parent_id": code.parent_id,
            "path": node.path,
            "name": code.name,
            "definition": code.description,
            "origin": code.origin,
            "colour": code.colour,
            "status": code.status,
            "excerpts": excerpts.get(code.pk, 0),
            "informants": informants.get(code.pk, 0),
        }
        for node in build_tree(codes).nodes
        for code in [node.code]
    ]


def codebook_signoff(*, study: Study, reviewer: User) -> CodebookSnapshot:
    """Approve the codebook as the next frozen version: sign-off and whole-codebook review are one flow.

    Before: ``reviewer`` reviews in ``study`` (see ``reviewer_roles``), else PermissionDenied.
    When the codebook is submitted for review, this approves that batch (the reviewer must not be
    the one who submitted it) and the batch's approval freezes the version; otherwise it freezes at once.
    """
    if not can_sign_off(study, reviewer):
        raise PermissionDenied(_("Only the study's reviewer can approve the codebook."))
    submitted = ReviewBatch.objects.filter(
        study=study, kind=ReviewBatch.Kind.CODEBOOK, state=ReviewBatch.State.SUBMITTED
    ).first()
    if submitted is not None:
        batch = review_batch_decide(batch=submitted, reviewer=reviewer, decision=ReviewBatch.State.APPROVED)
        return CodebookSnapshot.objects.get(batch=batch)
    return freeze_codebook(study=study, reviewer=reviewer)


def freeze_codebook(*, study: Study, reviewer: User, batch: ReviewBatch | None = None) -> CodebookSnapshot:
    """Freeze the current codebook as the next approved version; callers have checked the reviewer.

    After: a snapshot numbered one above the last (tied to ``batch`` when a review approved it), and an
    audit row; the study row is locked so two sign-offs at once cannot take the same number.
    """
    with transaction.atomic():
        Study.objects.select_for_update().filter(pk=study.pk).first()
        last = CodebookSnapshot.objects.filter(study=study).aggregate(m=Max("version"))["m"] or 0
        snapshot = CodebookSnapshot(
            study=study, version=last + 1, codes=current_codebook(study), approved_by=reviewer, batch=batch
        )
        snapshot.full_clean()
        snapshot.save()
        audit_record(
            study=study,
            actor=reviewer,
            action="codebook.signed_off",
            target=snapshot,
            label=f"v{snapshot.version}",
            version=snapshot.version,
            codes=len(snapshot.codes),
            batch=batch.pk if batch else None,
        )
    return snapshot


@dataclass
class CodeChange:
    id: int
    path: str
    before: Any = None
    after: Any = None


@dataclass
class CodebookDiff:
    added: list[CodeChange] = field(default_factory=list)
    removed: list[CodeChange] = field(default_factory=list)
    renamed: list[CodeChange] = field(default_factory=list)
    moved: list[CodeChange] = field(default_factory=list)
    definition_changed: list[CodeChange] = field(default_factory=list)
    status_changed: list[CodeChange] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return any((self.added, self.removed, self.renamed, self.moved, self.definition_changed, self.status_changed))


def codebook_diff(
    study: Study, snapshot: CodebookSnapshot, current: list[dict[str, Any]] | None = None
) -> CodebookDiff:
    """What changed in the live codebook since ``snapshot`` was approved, matched by code id.

    ``current``: ``current_codebook(study)`` when the caller has it already.
    """
    before = {row["id"]: row for row in snapshot.codes}
    after = {row["id"]: row for row in (current if current is not None else current_codebook(study))}
    before_paths = {pk: row["path"] for pk, row in before.items()}
    diff = CodebookDiff()
    for pk, row in after.items():
        old = before.get(pk)
        if old is None:
            diff.added.append(CodeChange(pk, row["path"], after=row["name"]))
            continue
        if old["name"] != row["name"]:
            diff.renamed.append(CodeChange(pk, row["path"], old["name"], row["name"]))
        if old["parent_id"] != row["parent_id"]:
            old_parent = before_paths.get(old["parent_id"], "")
            new_parent = after[row["parent_id"]]["path"] if row["parent_id"] in after else ""
            diff.moved.append(CodeChange(pk, row["path"], old_parent, new_parent))
        if old["definition"] != row["definition"]:
            diff.definition_changed.append(CodeChange(pk, row["path"], old["definition"], row["definition"]))
        if old["status"] != row["status"]:
            diff.status_changed.append(
                CodeChange(pk, row["path"], Code.Status(old["status"]).label, Code.Status(row["status"]).label)
            )
    for pk, old in before.items():
        if pk not in after:
            diff.removed.append(CodeChange(pk, old["path"], before=old["name"]))
    return diff
