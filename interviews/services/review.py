"""Supervisor review: batches of coded excerpts and their state machine.

draft → submitted → approved | changes_requested → (resubmitted) submitted → approved.
Every transition is a service here, checks the current state under a row lock,
and writes an audit row (ids and states only). Reviewing needs a reviewer: the
supervisor, or — when the study has none — a co-researcher who did not create
the batch. Excerpts of informants without valid consent never enter a batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases import consent_policy
from cases.consent_policy import excluded_informants
from cases.models import Membership, Study, User
from cases.services.audit import audit_record
from interviews.models import Code, Excerpt, ReviewBatch, ReviewComment, ReviewItem, Session, Source

State = ReviewBatch.State
Decision = ReviewItem.Decision
Kind = ReviewBatch.Kind
OPEN_STATES = (State.DRAFT, State.SUBMITTED, State.CHANGES_REQUESTED)


def reviewer_roles(study: Study) -> set[str]:
    """Who reviews: the supervisor; when the study has none, co-researchers review each other."""
    if Membership.objects.filter(study=study, role=Membership.Role.SUPERVISOR).exists():
        return {Membership.Role.SUPERVISOR}
    return {Membership.Role.OWNER, Membership.Role.CO_RESEARCHER}


def _check_reviewer(batch: ReviewBatch, reviewer: User) -> None:
    role = Membership.objects.filter(study=batch.study, user=reviewer).values_list("role", flat=True).first()
    if role not in reviewer_roles(batch.study) or reviewer.pk == batch.created_by_id:
        raise PermissionDenied(_("You cannot review this batch."))


def _locked(batch: ReviewBatch, *allowed: str) -> ReviewBatch:
    current = ReviewBatch.objects.select_for_update().get(pk=batch.pk)
    if current.state not in allowed:
        raise ValidationError(
            _("The batch is %(state)s; this step is not possible now.") % {"state": current.get_state_display()}
        )
    return current


def review_batch_create(
    *,
    study: Study,
    actor: User,
    title: str,
    excerpt_ids: Iterable[int] = (),
    code: Code | None = None,
    source: Source | None = None,
    kind: str = ReviewBatch.Kind.EXCERPTS,
) -> ReviewBatch:
    """A draft batch.

    Excerpts: the hand-picked ``excerpt_ids``, else all of ``source``'s, else all of ``code``'s.
    A code's definition (``kind=CODE_DEFINITION``): ``code`` alone, with no items — the
    reviewer judges the definition and sees a few example excerpts beside it.
    The whole codebook (``kind=CODEBOOK``): no code and no items; one open at a time per study.
    Excerpts of informants without valid consent are left out of every batch.
    """
    with transaction.atomic():
        if kind == Kind.CODEBOOK:
            _check_codebook_batch_allowed(study, actor)
        if code is not None and code.study_id != study.pk:
            raise ValidationError({"code": _("The code belongs to another study.")})
        if source is not None and source.study_id != study.pk:
            raise ValidationError({"source": _("The source belongs to another study.")})
        if kind == ReviewBatch.Kind.CODE_DEFINITION and code is None:
            raise ValidationError({"code": _("Choose the code whose definition is to be reviewed.")})
        excerpts = Excerpt.objects.filter(study=study)
        excerpt_ids = list(excerpt_ids)
        if kind != ReviewBatch.Kind.EXCERPTS:
            excerpts = excerpts.none()
        elif excerpt_ids:
            excerpts = excerpts.filter(pk__in=excerpt_ids)
            if excerpts.count() != len(set(excerpt_ids)):
                raise ValidationError(_("One of the excerpts does not exist in this study."))
        elif source is not None:
            excerpts = excerpts.filter(source=source)
        elif code is not None:
            excerpts = excerpts.filter(codings__code=code)
        elif kind == ReviewBatch.Kind.EXCERPTS:
            raise ValidationError(_("Choose the excerpts to submit, a source or a code."))
        chosen = set(excerpts.values_list("pk", flat=True))
        allowed = set(consent_policy.excerpts_without_excluded(excerpts, study).values_list("pk", flat=True))
        batch = ReviewBatch(study=study, kind=kind, title=title, code=code, created_by=actor)
        batch.full_clean()
        batch.save()
        ReviewItem.objects.bulk_create(ReviewItem(batch=batch, excerpt_id=pk) for pk in sorted(allowed))
        batch.left_out = len(chosen - allowed)
        audit_record(
            study=study,
            actor=actor,
            action="review.created",
            target=batch,
            label=title[:100],
            kind=kind,
            source=source.pk if source else None,
            item_count=len(allowed),
            left_out=batch.left_out,
        )
    return batch


def _check_codebook_batch_allowed(study: Study, actor: User) -> None:
    """Researchers put the codebook up, one open batch at a time; the study row is locked against a double submit."""
    role = Membership.objects.filter(study=study, user=actor).values_list("role", flat=True).first()
    if role not in (Membership.Role.OWNER, Membership.Role.CO_RESEARCHER):
        raise PermissionDenied(_("Only the study's researchers can submit the codebook for review."))
    Study.objects.select_for_update().filter(pk=study.pk).first()
    if ReviewBatch.objects.filter(study=study, kind=Kind.CODEBOOK, state__in=OPEN_STATES).exists():
        raise ValidationError(
            _(
                "The codebook is already up for review. Wait for the decision, or resubmit the open batch "
                "when changes are requested."
            )
        )
    if not Code.objects.filter(study=study).exists():
        raise ValidationError(_("The codebook has no codes to review yet."))


def open_codebook_batch(study: Study) -> ReviewBatch | None:
    """The study's codebook batch that is not yet approved, if any."""
    return ReviewBatch.objects.filter(study=study, kind=Kind.CODEBOOK, state__in=OPEN_STATES).first()


def codebook_review_submit(*, study: Study, actor: User) -> ReviewBatch:
    """Put the whole codebook up for review: a new batch, submitted at once (created and submitted are audited)."""
    with translation.override(study.language):  # the title is part of the study's record, in its language
        title = _("The whole codebook")
    with transaction.atomic():
        batch = review_batch_create(study=study, actor=actor, title=title, kind=Kind.CODEBOOK)
        return review_batch_submit_and_notify(batch=batch, actor=actor)


def review_batch_submit(*, batch: ReviewBatch, actor: User) -> ReviewBatch:
    """draft or changes_requested → submitted; a resubmission sends only the items not yet approved back."""
    with transaction.atomic():
        current = _locked(batch, State.DRAFT, State.CHANGES_REQUESTED)
        if current.kind == ReviewBatch.Kind.EXCERPTS and not current.items.exists():
            raise ValidationError(_("The batch has no excerpts to review."))
        current.items.filter(decision=Decision.CHANGE_REQUESTED).update(
            decision=Decision.PENDING, decided_by=None, decided_at=None
        )
        current.state = State.SUBMITTED
        current.round += 1
        current.submitted_at = timezone.now()
        current.save(update_fields=["state", "round", "submitted_at"])
        audit_record(
            study=current.study,
            actor=actor,
            action="review.submitted",
            target=current,
            label=current.title[:100],
            round=current.round,
        )
    return current


def review_item_decide(*, item: ReviewItem, reviewer: User, decision: str) -> ReviewItem:
    """The reviewer's decision on one excerpt of a submitted batch."""
    if decision not in (Decision.APPROVED, Decision.CHANGE_REQUESTED):
        raise ValidationError(_("Approve the excerpt or request a change."))
    with transaction.atomic():
        batch = _locked(item.batch, State.SUBMITTED)
        _check_reviewer(batch, reviewer)
        item.decision, item.decided_by, item.decided_at = decision, reviewer, timezone.now()
        item.save(update_fields=["decision", "decided_by", "decided_at"])
        audit_record(
            study=batch.study,
            actor=reviewer,
            action="review.item_decided",
            target=batch,
            label=batch.title[:100],
            excerpt=item.excerpt_id,
            decision=decision,
        )
    return item


def review_batch_decide(
    *,
    batch: ReviewBatch,
    reviewer: User,
    decision: str | None = None,
    comment: str = "",
    comment_code: Code | None = None,
) -> ReviewBatch:
    """Close the round.

    A batch of excerpts: approved when every item is approved, changes requested otherwise; every
    item must have a decision first. A code's definition: ``decision`` (approved or
    changes_requested) says it; a requested change needs ``comment``, which opens a thread on the code.
    The whole codebook: the same, the comment opens a thread on ``comment_code`` (the code it is about);
    approval freezes the codebook as the next approved version (``interviews.services.signoff``).
    """
    from interviews.services.signoff import freeze_codebook  # signoff imports this module

    with transaction.atomic():
        current = _locked(batch, State.SUBMITTED)
        _check_reviewer(current, reviewer)
        if current.kind == ReviewBatch.Kind.EXCERPTS:
            # An informant whose consent lapsed after submission drops out of the review, and of the decision.
            excluded = set(excluded_informants(current.study))
            decisions = set(current.items.exclude(excerpt__speakers__in=excluded).values_list("decision", flat=True))
            if Decision.PENDING in decisions:
                raise ValidationError(_("Decide on every excerpt before you close the review."))
            state = State.CHANGES_REQUESTED if Decision.CHANGE_REQUESTED in decisions else State.APPROVED
        else:
            if decision not in (State.APPROVED, State.CHANGES_REQUESTED):
                if current.kind == Kind.CODEBOOK:
                    raise ValidationError(_("Approve the codebook or request a change."))
                raise ValidationError(_("Approve the definition or request a change."))
            if decision == State.CHANGES_REQUESTED and not comment.strip():
                raise ValidationError(_("Say what should change: write a comment."))
            state = decision
        if comment.strip():
            code = comment_code if current.kind == Kind.CODEBOOK else current.code
            if code is None:
                if current.kind == Kind.CODEBOOK:
                    raise ValidationError(_("Choose the code your comment is about."))
                raise ValidationError(_("Comment on one excerpt or one code."))
            review_comment_add(study=current.study, actor=reviewer, text=comment, code=code, batch=current)
        current.state = state
        current.decided_by, current.decided_at = reviewer, timezone.now()
        current.save(update_fields=["state", "decided_by", "decided_at"])
        if current.kind == Kind.CODEBOOK and state == State.APPROVED:
            freeze_codebook(study=current.study, reviewer=reviewer, batch=current)
        audit_record(
            study=current.study,
            actor=reviewer,
            action="review.decided",
            target=current,
            label=current.title[:100],
            state=current.state,
            round=current.round,
        )
    return current


# --- comment threads ----------------------------------------------------------------------------------------


def review_comment_add(
    *,
    study: Study,
    actor: User,
    text: str,
    excerpt: Excerpt | None = None,
    code: Code | None = None,
    source: Source | None = None,
    session: Session | None = None,
    parent: ReviewComment | None = None,
    batch: ReviewBatch | None = None,
) -> ReviewComment:
    """A comment on an excerpt, a code, a source or a session, or a reply in its thread.

    A reply takes its thread's target; any member may comment (a supervisor comments, it changes no data).
    """
    with transaction.atomic():
        if parent is not None:
            if parent.study_id != study.pk:
                raise ValidationError(_("The comment belongs to another study."))
            root = parent.parent if parent.parent_id else parent
            excerpt, code, source, session = root.excerpt, root.code, root.source, root.session
            parent = root
        targets = [target for target in (excerpt, code, source, session) if target is not None]
        if len(targets) != 1:
            raise ValidationError(_("Comment on one excerpt, code, source or session."))
        if targets[0].study_id != study.pk or (batch is not None and batch.study_id != study.pk):
            raise ValidationError(_("The excerpt or code belongs to another study."))
        comment = ReviewComment(
            study=study,
            excerpt=excerpt,
            code=code,
            source=source,
            session=session,
            parent=parent,
            batch=batch,
            author=actor,
            text=text.strip(),
        )
        comment.full_clean()
        comment.save()
        audit_record(
            study=study,
            actor=actor,
            action="review.commented",
            target=comment,
            label="",
            excerpt=comment.excerpt_id,
            code=comment.code_id,
            source=comment.source_id,
            session=comment.session_id,
            parent=comment.parent_id,
            batch=comment.batch_id,
        )
    return comment


def review_comment_resolve(*, comment: ReviewComment, actor: User) -> ReviewComment:
    """Mark a thread resolved (its first comment); a thread resolved already stays as it was."""
    with transaction.atomic():
        current = ReviewComment.objects.select_for_update().get(pk=comment.pk)
        if current.parent_id is not None:
            raise ValidationError(_("Resolve the thread from its first comment."))
        if current.resolved_at is not None:
            raise ValidationError(_("The thread is resolved already."))
        current.resolved_at, current.resolved_by = timezone.now(), actor
        current.save(update_fields=["resolved_at", "resolved_by"])
        audit_record(study=current.study, actor=actor, action="review.comment_resolved", target=current, label="")
    return current


# Transitions with e-mail ---------------------------------------------------------------------------------------------


def review_batch_submit_and_notify(*, batch: ReviewBatch, actor: User) -> ReviewBatch:
    """``review_batch_submit``, then e-mail the reviewers once the transaction commits."""
    from interviews.services.notifications import review_submitted_notify  # notifications imports this module

    with transaction.atomic():
        batch = review_batch_submit(batch=batch, actor=actor)
        review_submitted_notify(batch=batch, actor=actor)
    return batch


def review_batch_decide_and_notify(
    *,
    batch: ReviewBatch,
    reviewer: User,
    decision: str | None = None,
    comment: str = "",
    comment_code: Code | None = None,
) -> ReviewBatch:
    """``review_batch_decide``, then e-mail the batch's creator once the transaction commits."""
    from interviews.services.notifications import review_decided_notify  # notifications imports this module

    with transaction.atomic():
        batch = review_batch_decide(
            batch=batch, reviewer=reviewer, decision=decision, comment=comment, comment_code=comment_code
        )
        review_decided_notify(batch=batch, reviewer=reviewer)
    return batch
