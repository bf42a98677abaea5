"""E-mail about reviews: to the reviewers when a batch is submitted, to its creator when it is decided.

Mails are queued with ``transaction.on_commit`` so a rolled-back transition sends nothing,
are written in the study's language, skip users who turned notifications off, and carry a
relative link to the batch page (the product has no fixed public host name).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from cases.models import Membership, User
from interviews.models import ReviewBatch
from interviews.services.review import reviewer_roles


def batch_path(batch: ReviewBatch) -> str:
    return f"/studies/{batch.study_id}/review/{batch.pk}/"


def _subject(kind: str, batch: ReviewBatch) -> str:
    names = {"title": batch.title, "study": batch.study.title}
    if kind == "submitted":
        return _("Submitted for review: “%(title)s” (%(study)s)") % names
    return _("Review decided: “%(title)s” (%(study)s)") % names


def _send(batch_id: int, recipient_ids: list[int], kind: str) -> None:
    """Render and send one mail per recipient; runs after commit, so it re-reads the batch and the opt-outs."""
    batch = ReviewBatch.objects.select_related("study", "created_by", "decided_by").get(pk=batch_id)
    recipients = User.objects.filter(pk__in=recipient_ids, notify_by_email=True, is_active=True).exclude(email="")
    with translation.override(batch.study.language):
        context = {
            "batch": batch,
            "study": batch.study,
            "batch_path": batch_path(batch),
            "state_label": ReviewBatch.State(batch.state).label,
        }
        subject_text = _subject(kind, batch)
        body = render_to_string(f"interviews/email/review_{kind}.txt", context)
    messages = [EmailMessage(subject_text, body, settings.DEFAULT_FROM_EMAIL, [user.email]) for user in recipients]
    if messages:
        get_connection().send_messages(messages)


def review_submitted_notify(*, batch: ReviewBatch, actor: User) -> None:
    """After commit, mail each reviewer of the batch's study (not the submitter) who wants e-mail."""
    reviewer_ids = list(
        Membership.objects.filter(
            study_id=batch.study_id, role__in=reviewer_roles(batch.study), user__notify_by_email=True
        )
        .exclude(user=actor)
        .values_list("user_id", flat=True)
    )
    if reviewer_ids:
        transaction.on_commit(lambda: _send(batch.pk, reviewer_ids, "submitted"))


def review_decided_notify(*, batch: ReviewBatch, reviewer: User) -> None:
    """After commit, mail the batch's creator the decision, unless they turned e-mail off."""
    if batch.created_by_id == reviewer.pk:
        return
    transaction.on_commit(lambda: _send(batch.pk, [batch.created_by_id], "decided"))
