"""Studies, research questions, members and invitations."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.models import Invitation, Membership, ResearchQuestion, Study, User

from .audit import audit_record
from .records import record_create, record_delete, record_update

INVITATION_LIFETIME = timedelta(days=14)


def study_create(*, owner: User, **fields: Any) -> Study:
    """Create a study with ``owner`` as its project owner."""
    with transaction.atomic():
        study = Study(created_by=owner, **fields)
        study.full_clean()
        study.save()
        Membership.objects.create(study=study, user=owner, role=Membership.Role.OWNER)
        audit_record(study=study, actor=owner, action="study.created", target=study, label=study.title)
    return study


def study_update(*, study: Study, actor: User, data: dict[str, Any]) -> Study:
    return record_update(study=study, actor=actor, instance=study, action="study.updated", data=data, label=study.title)


def research_question_create(*, study: Study, actor: User, **fields: Any) -> ResearchQuestion:
    if "position" not in fields:
        last = study.research_questions.aggregate(m=Max("position"))["m"]
        fields["position"] = 0 if last is None else last + 1
    question = ResearchQuestion(study=study, **fields)
    return record_create(study=study, actor=actor, instance=question, action="research_question.created", label=question.label)


def research_question_update(*, question: ResearchQuestion, actor: User, data: dict[str, Any]) -> ResearchQuestion:
    return record_update(study=question.study, actor=actor, instance=question, action="research_question.updated", data=data, label=question.label)


def research_question_delete(*, question: ResearchQuestion, actor: User) -> None:
    record_delete(study=question.study, actor=actor, instance=question, action="research_question.deleted", label=question.label)


def research_question_move(*, question: ResearchQuestion, actor: User, offset: int) -> None:
    """Move a question up (-1) or down (+1) in the study's order, renumbering positions densely."""
    with transaction.atomic():
        questions = list(ResearchQuestion.objects.select_for_update().filter(study_id=question.study_id).order_by("position", "id"))
        index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
        target = index + offset
        if not 0 <= target < len(questions):
            return
        questions[index], questions[target] = questions[target], questions[index]
        for position, item in enumerate(questions):
            if item.position != position:
                ResearchQuestion.objects.filter(pk=item.pk).update(position=position)
        audit_record(study=question.study, actor=actor, action="research_question.moved", target=question, label=question.label, offset=offset)


def invitation_create(*, study: Study, actor: User, email: str, role: str, accept_url_builder) -> Invitation:
    """Invite someone by e-mail. The mail is sent once the invitation is committed.

    ``accept_url_builder(token)`` returns the absolute link the e-mail carries.
    """
    email = User.objects.normalize_email(email).strip().lower()
    if role == Membership.Role.OWNER:
        raise ValidationError(_("A study has one owner; invite a co-researcher instead."))
    if Membership.objects.filter(study=study, user__email__iexact=email).exists():
        raise ValidationError(_("%(email)s is already a member of this study.") % {"email": email})
    with transaction.atomic():
        Invitation.objects.filter(study=study, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        invitation = Invitation(
            study=study,
            email=email,
            role=role,
            token=secrets.token_urlsafe(32),
            invited_by=actor,
            expires_at=timezone.now() + INVITATION_LIFETIME,
        )
        invitation.full_clean()
        invitation.save()
        audit_record(study=study, actor=actor, action="invitation.created", target=invitation, label=invitation.get_role_display(), role=role)
        link = accept_url_builder(invitation.token)
        transaction.on_commit(lambda: _send_invitation(invitation.pk, link))
    return invitation


def _send_invitation(invitation_id: int, link: str) -> None:
    invitation = Invitation.objects.select_related("study", "invited_by").get(pk=invitation_id)
    with translation.override(invitation.study.language):
        context = {"invitation": invitation, "link": link}
        subject = _("Invitation to the study “%(title)s”") % {"title": invitation.study.title}
        body = render_to_string("cases/email/invitation.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


def invitation_revoke(*, invitation: Invitation, actor: User) -> None:
    with transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(revoked_at=timezone.now())
        audit_record(study=invitation.study, actor=actor, action="invitation.revoked", target=invitation, label=invitation.get_role_display())


def invitation_accept(*, token: str, user: User) -> Membership:
    """Turn an open invitation into a membership for ``user``; each invitation works once."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("study").filter(token=token).first()
        if invitation is None or not invitation.is_open:
            raise ValidationError(_("This invitation is no longer valid. Ask for a new one."))
        if invitation.email.lower() != user.email.lower():
            raise ValidationError(_("This invitation was sent to another e-mail address."))
        membership, created = Membership.objects.get_or_create(
            study=invitation.study, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        if created:
            audit_record(study=invitation.study, actor=user, action="membership.joined", target=membership, label=membership.get_role_display(), role=membership.role)
    return membership


def membership_remove(*, membership: Membership, actor: User) -> None:
    if membership.role == Membership.Role.OWNER:
        raise ValidationError(_("The project owner cannot be removed."))
    with transaction.atomic():
        audit_record(study=membership.study, actor=actor, action="membership.removed", target=membership, label=membership.get_role_display(), role=membership.role)
        membership.delete()
